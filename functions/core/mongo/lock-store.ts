import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import type { OperationLock } from '../orgs/model.ts';
import type { OperationLockStore } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for operation locks (`org_locks` in the master database): one document per
 * organization, keyed by its id, so taking a lock is an insert that only one caller can win.
 */

export interface LockDoc {
  _id: ObjectId;
  lockId: string;
  kind: OperationLock['kind'];
  startedAt: Date;
  renewedAt?: Date;
}

/** Locks last alive (renewed, or started if never renewed) before `before`. */
function lastAliveBefore(before: Date): Filter<LockDoc> {
  return { $or: [{ renewedAt: { $lt: before } }, { renewedAt: { $exists: false }, startedAt: { $lt: before } }] };
}

function toLock(doc: LockDoc): OperationLock {
  const { _id, renewedAt, ...rest } = doc;
  return { ...rest, orgId: _id.toHexString(), ...(renewedAt ? { renewedAt } : {}) };
}

export class MongoOperationLockStore implements OperationLockStore {
  readonly #col: Collection<LockDoc>;

  constructor(col: Collection<LockDoc>) {
    this.#col = col;
  }

  async acquire(lock: OperationLock): Promise<boolean> {
    const _id = oid(lock.orgId);
    if (!_id) return false;
    return insertUnique(this.#col, {
      _id,
      lockId: lock.lockId,
      kind: lock.kind,
      startedAt: lock.startedAt,
      ...(lock.renewedAt ? { renewedAt: lock.renewedAt } : {}),
    });
  }

  async find(orgId: string): Promise<OperationLock | null> {
    const _id = oid(orgId);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toLock(doc) : null;
  }

  async renew(orgId: string, lockId: string, at: Date): Promise<boolean> {
    const _id = oid(orgId);
    if (!_id) return false;
    const result = await this.#col.updateOne({ _id, lockId }, { $set: { renewedAt: at } });
    return result.matchedCount > 0;
  }

  async release(orgId: string, lockId?: string): Promise<void> {
    const _id = oid(orgId);
    if (_id) await this.#col.deleteOne(lockId === undefined ? { _id } : { _id, lockId });
  }

  async releaseLapsed(orgId: string, lockId: string, before: Date): Promise<boolean> {
    const _id = oid(orgId);
    if (!_id) return false;
    const result = await this.#col.deleteOne({ _id, lockId, ...lastAliveBefore(before) });
    return result.deletedCount > 0;
  }

  async listStartedBefore(before: Date): Promise<OperationLock[]> {
    const docs = await this.#col.find(lastAliveBefore(before)).toArray();
    return docs.map(toLock);
  }
}

/** The lock store on `db`'s `org_locks` collection, with outages mapped to 503. */
export function mongoOperationLockStore(db: Db): OperationLockStore {
  return withUnavailableMapping(new MongoOperationLockStore(db.collection<LockDoc>(MASTER_COLLECTIONS.locks)));
}
