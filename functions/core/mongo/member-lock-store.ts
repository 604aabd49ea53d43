import type { Collection, Db } from 'mongodb';
import type { MemberLockStore } from '../members/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';

/**
 * The MongoDB adapter for member-list locks (`member_locks`): one document per organization, so
 * taking the lock is an insert only one caller wins on every server. An expired lease is removed
 * (only if it is still the same holder's) and the insert tried once more.
 */

export interface MemberLockDoc {
  _id: string;
  lockId: string;
  expiresAt: Date;
}

export class MongoMemberLockStore implements MemberLockStore {
  readonly #col: Collection<MemberLockDoc>;

  constructor(col: Collection<MemberLockDoc>) {
    this.#col = col;
  }

  async acquire(orgId: string, lockId: string, now: Date, leaseMs: number): Promise<boolean> {
    const doc = { _id: orgId, lockId, expiresAt: new Date(now.getTime() + leaseMs) };
    if (await insertUnique(this.#col, doc)) return true;
    const held = await this.#col.findOne({ _id: orgId });
    if (held && held.expiresAt.getTime() > now.getTime()) return false;
    if (held) await this.#col.deleteOne({ _id: orgId, lockId: held.lockId });
    return insertUnique(this.#col, doc);
  }

  async holds(orgId: string, lockId: string, now: Date): Promise<boolean> {
    return (await this.#col.countDocuments({ _id: orgId, lockId, expiresAt: { $gt: now } }, { limit: 1 })) > 0;
  }

  async release(orgId: string, lockId: string): Promise<void> {
    await this.#col.deleteOne({ _id: orgId, lockId });
  }
}

/** The member lock store on `db`'s `member_locks` collection, with outages mapped to 503. */
export function mongoMemberLockStore(db: Db): MemberLockStore {
  return withUnavailableMapping(new MongoMemberLockStore(db.collection<MemberLockDoc>(MASTER_COLLECTIONS.memberLocks)));
}
