import type { Collection, Db, ObjectId } from 'mongodb';
import type { Membership } from '../members/model.ts';
import type { MembershipPage, MembershipStore } from '../members/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for memberships (`memberships` in the master database). The `_id` is
 * `<orgId>:<userId>`, so a user is a member of an organization at most once by the unique `_id`
 * alone, a look-up is by `_id`, and the members list pages on `{ orgId, _id }` (an index) with the
 * last `_id` as the cursor: a page costs the same at the 10,000th member as at the first.
 */

export interface MembershipDoc {
  _id: string;
  orgId: ObjectId;
  userId: ObjectId;
  role: string;
  createdAt: Date;
  updatedAt: Date;
}

const keyOf = (orgId: string, userId: string) => `${orgId}:${userId}`;
const CURSOR = /^[0-9a-f]{24}:[0-9a-f]{24}$/;

function toMembership(doc: MembershipDoc): Membership {
  return {
    orgId: doc.orgId.toHexString(),
    userId: doc.userId.toHexString(),
    role: doc.role,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

export class MongoMembershipStore implements MembershipStore {
  readonly #col: Collection<MembershipDoc>;

  constructor(col: Collection<MembershipDoc>) {
    this.#col = col;
  }

  async insert(m: Membership): Promise<'ok' | 'exists'> {
    const orgId = oid(m.orgId);
    const userId = oid(m.userId);
    if (!orgId || !userId) throw new Error('membership ids must be ObjectIds');
    const doc = { _id: keyOf(m.orgId, m.userId), orgId, userId, role: m.role, createdAt: m.createdAt, updatedAt: m.updatedAt };
    return (await insertUnique(this.#col, doc)) ? 'ok' : 'exists';
  }

  async find(orgId: string, userId: string): Promise<Membership | null> {
    const doc = await this.#col.findOne({ _id: keyOf(orgId, userId) });
    return doc ? toMembership(doc) : null;
  }

  async page(orgId: string, limit: number, after?: string): Promise<MembershipPage> {
    const org = oid(orgId);
    if (!org) return { items: [] };
    const filter = after && CURSOR.test(after) ? { orgId: org, _id: { $gt: after } } : { orgId: org };
    const docs = await this.#col
      .find(filter)
      .sort({ _id: 1 })
      .limit(limit + 1)
      .toArray();
    const items = docs.slice(0, limit).map(toMembership);
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    return last ? { items, next: last._id } : { items };
  }

  async listByUser(userId: string, limit: number): Promise<Membership[]> {
    const user = oid(userId);
    if (!user) return [];
    const docs = await this.#col.find({ userId: user }).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(toMembership);
  }

  async setRole(orgId: string, userId: string, role: string, at: Date): Promise<boolean> {
    const result = await this.#col.updateOne({ _id: keyOf(orgId, userId) }, { $set: { role, updatedAt: at } });
    return result.matchedCount > 0;
  }

  async remove(orgId: string, userId: string): Promise<boolean> {
    return (await this.#col.deleteOne({ _id: keyOf(orgId, userId) })).deletedCount > 0;
  }

  async countWithRole(orgId: string, role: string, cap: number): Promise<number> {
    const org = oid(orgId);
    return org ? this.#col.countDocuments({ orgId: org, role }, { limit: cap }) : 0;
  }

  async count(orgId: string, cap: number): Promise<number> {
    const org = oid(orgId);
    return org ? this.#col.countDocuments({ orgId: org }, { limit: cap }) : 0;
  }

  async usersElsewhere(userIds: readonly string[], orgId: string): Promise<Set<string>> {
    const ids = userIds.map(oid).filter((id): id is ObjectId => id !== null);
    const org = oid(orgId);
    if (ids.length === 0 || !org) return new Set();
    const docs = await this.#col.find({ userId: { $in: ids }, orgId: { $ne: org } }, { projection: { userId: 1 } }).toArray();
    return new Set(docs.map((doc) => doc.userId.toHexString()));
  }

  async removeByOrg(orgId: string): Promise<void> {
    const org = oid(orgId);
    if (org) await this.#col.deleteMany({ orgId: org });
  }
}

/** The membership store on `db`'s `memberships` collection, with outages mapped to 503. */
export function mongoMembershipStore(db: Db): MembershipStore {
  return withUnavailableMapping(new MongoMembershipStore(db.collection<MembershipDoc>(MASTER_COLLECTIONS.memberships)));
}
