import type { Db, Document, Filter, MongoClient, ObjectId } from 'mongodb';
import type { Placement } from '../orgs/model.ts';
import type { OrgDataStore } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS as C } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter a purge counts and removes an organization's master data with. Each master
 * collection names the organization its own way (an ObjectId `orgId`, a string `orgId`, the id as
 * `_id`); this table says which, once. Kept out of the purge: `events` and `event_sequences` (the
 * audit trail, the purge record among it, which expires with the stage's event retention), and what
 * belongs to users rather than organizations (one-time links, used codes, login failures, the outbox).
 */

/** A filter on a collection of any shape. */
type DocFilter = Record<string, unknown>;

type Match = (orgId: string) => DocFilter | null;

const byObjectId: Match = (orgId) => {
  const id = oid(orgId);
  return id && { orgId: id };
};
const byString: Match = (orgId) => (oid(orgId) ? { orgId } : null);
const byStringId: Match = (orgId) => (oid(orgId) ? { _id: orgId } : null);
const byObjectIdAsId: Match = (orgId) => {
  const id = oid(orgId);
  return id && { _id: id };
};

/** How each master collection names the organization its documents belong to. */
const MATCH: Readonly<Record<string, Match>> = {
  [C.memberships]: byObjectId,
  [C.roles]: byObjectId,
  [C.refreshTokens]: byObjectId,
  [C.nameClaims]: byObjectId,
  [C.locks]: byObjectIdAsId,
  [C.invitations]: byObjectId,
  [C.loginChallenges]: byObjectId,
  [C.webhookEndpoints]: byString,
  [C.webhookDeliveries]: byString,
  [C.webhookAttempts]: byString,
  [C.usage]: byString,
  [C.meters]: byStringId,
  [C.planChanges]: byString,
  [C.memberLocks]: byStringId,
};

/**
 * What this port removes, in order: deliveries and attempts before their endpoints, an invitation's
 * outcome before the invitation (the outcome is found through it). Memberships, roles, refresh tokens,
 * and name claims are counted here and removed by their own stores.
 */
const REMOVED = [
  C.invitationOutcomes,
  C.invitations,
  C.loginChallenges,
  C.webhookAttempts,
  C.webhookDeliveries,
  C.webhookEndpoints,
  C.usage,
  C.meters,
  C.planChanges,
  C.memberLocks,
] as const;

/**
 * Every master collection a purge counts (see `OrgDataStore`): the organization's data. Its operation
 * lock is not data (the purge's own run may hold it) and is released without being counted.
 */
export const COUNTED_COLLECTIONS: readonly string[] = [C.memberships, C.roles, C.refreshTokens, C.nameClaims, ...REMOVED];

export class MongoOrgDataStore implements OrgDataStore {
  readonly collections: readonly string[] = REMOVED;
  readonly counted: readonly string[] = COUNTED_COLLECTIONS;
  readonly #client: MongoClient;
  readonly #db: Db;

  constructor(client: MongoClient, db: Db) {
    this.#client = client;
    this.#db = db;
  }

  async count(collection: string, orgId: string): Promise<number> {
    const filter = await this.#filter(collection, orgId);
    return filter ? this.#db.collection(collection).countDocuments(filter as Filter<Document>) : 0;
  }

  async remove(collection: string, orgId: string): Promise<void> {
    const filter = await this.#filter(collection, orgId);
    if (filter) await this.#db.collection(collection).deleteMany(filter as Filter<Document>);
  }

  async countPlace(placement: Placement): Promise<number> {
    return this.#client.db(placement.database).collection(placement.collection).countDocuments({});
  }

  /** The filter of `orgId`'s documents in `collection`; null when there can be none (a malformed id). */
  async #filter(collection: string, orgId: string): Promise<DocFilter | null> {
    if (collection === C.invitationOutcomes) {
      // An outcome is keyed by its invitation's id: found through the organization's invitations.
      const match = byObjectId(orgId);
      if (!match) return null;
      const ids = await this.#db
        .collection<{ _id: ObjectId }>(C.invitations)
        .find(match, { projection: { _id: 1 } })
        .toArray();
      return { _id: { $in: ids.map((doc) => doc._id.toHexString()) } };
    }
    const match = MATCH[collection];
    if (!match) throw new Error(`No rule for the organization's documents in ${collection}`);
    return match(orgId);
  }
}

/** The organization data store on `db`, with outages mapped to 503. */
export function mongoOrgDataStore(client: MongoClient, db: Db): OrgDataStore {
  return withUnavailableMapping(new MongoOrgDataStore(client, db));
}
