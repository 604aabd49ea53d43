import { type Collection, type Db, ObjectId } from 'mongodb';
import type { NameClaim } from '../orgs/model.ts';
import type { NameClaimStore } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';

/**
 * The MongoDB adapter for name reservations (`org_names` in the master database): keyed by slug, so a
 * name is claimed by inserting, the one write every server rejects as a duplicate the same way.
 */

export interface NameDoc {
  _id: string;
  orgId: ObjectId;
  claimedAt: Date;
}

export class MongoNameClaimStore implements NameClaimStore {
  readonly #col: Collection<NameDoc>;

  constructor(col: Collection<NameDoc>) {
    this.#col = col;
  }

  async claim(claim: NameClaim): Promise<boolean> {
    return insertUnique(this.#col, { _id: claim.slug, orgId: new ObjectId(claim.orgId), claimedAt: claim.claimedAt });
  }

  async find(slug: string): Promise<NameClaim | null> {
    const doc = await this.#col.findOne({ _id: slug });
    return doc ? { slug: doc._id, orgId: doc.orgId.toHexString(), claimedAt: doc.claimedAt } : null;
  }

  async release(slug: string, orgId: string): Promise<void> {
    await this.#col.deleteOne({ _id: slug, orgId: new ObjectId(orgId) });
  }

  async releaseAllOf(orgId: string): Promise<void> {
    await this.#col.deleteMany({ orgId: new ObjectId(orgId) });
  }

  async listClaimedBefore(before: Date): Promise<NameClaim[]> {
    const docs = await this.#col.find({ claimedAt: { $lt: before } }).toArray();
    return docs.map((doc) => ({ slug: doc._id, orgId: doc.orgId.toHexString(), claimedAt: doc.claimedAt }));
  }
}

/** The name-claim store on `db`'s `org_names` collection, with outages mapped to 503. */
export function mongoNameClaimStore(db: Db): NameClaimStore {
  return withUnavailableMapping(new MongoNameClaimStore(db.collection<NameDoc>(MASTER_COLLECTIONS.nameClaims)));
}
