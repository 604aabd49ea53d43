import { type Collection, type Filter, type MongoClient, ObjectId } from 'mongodb';
import type { NameClaim, Operation, OperationLock, Organization, OrgStatus, Placement } from '../orgs/model.ts';
import type { NameClaimStore, OperationLockStore, OrganizationStore, OrgChanges, OrgStores, PlaceName } from '../orgs/stores.ts';
import type { PlacementPolicy } from '../tenancy/router.ts';
import { mongoAdminStore } from './admin-store.ts';
import { refreshTokenStore } from './auth-stores.ts';
import { isDuplicateKey, withUnavailableMapping } from './errors.ts';
import { oid } from './object-ids.ts';
import { MongoTenantSpaces } from './tenant-spaces.ts';

/** MongoDB adapters for the organization ports. Ids are ObjectIds in the database, hex strings above. */

interface OrgDoc {
  _id: ObjectId;
  name: string;
  slug: string;
  status: OrgStatus;
  placement: Placement;
  adminId: ObjectId;
  createdAt: Date;
  updatedAt: Date;
  operation?: Operation;
  placementVersion?: number;
}

interface NameDoc {
  _id: string;
  orgId: ObjectId;
  claimedAt: Date;
}

interface LockDoc {
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

function toOrg(doc: OrgDoc): Organization {
  const { _id, adminId, operation, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), adminId: adminId.toHexString(), ...(operation ? { operation } : {}) };
}

function toLock(doc: LockDoc): OperationLock {
  const { _id, renewedAt, ...rest } = doc;
  return { ...rest, orgId: _id.toHexString(), ...(renewedAt ? { renewedAt } : {}) };
}

export class MongoOrganizationStore implements OrganizationStore {
  readonly #col: Collection<OrgDoc>;

  constructor(col: Collection<OrgDoc>) {
    this.#col = col;
  }

  async insert(org: Organization): Promise<'ok' | 'slug_taken'> {
    const { id, adminId, operation, ...rest } = org;
    try {
      await this.#col.insertOne({
        ...rest,
        _id: new ObjectId(id),
        adminId: new ObjectId(adminId),
        ...(operation ? { operation } : {}),
      });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'slug_taken';
      throw error;
    }
  }

  async findById(id: string): Promise<Organization | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toOrg(doc) : null;
  }

  async findBySlug(slug: string): Promise<Organization | null> {
    const doc = await this.#col.findOne({ slug });
    return doc ? toOrg(doc) : null;
  }

  async transition(
    id: string,
    from: readonly OrgStatus[],
    changes: OrgChanges,
    owner?: string | null,
  ): Promise<Organization | null> {
    const _id = oid(id);
    if (!_id) return null;
    const { operation, ...set } = changes;
    const update =
      operation === null ? { $set: set, $unset: { operation: '' as const } } : { $set: operation ? { ...set, operation } : set };
    const fence = owner === undefined ? {} : { 'operation.owner': owner };
    const result = await this.#col.updateOne({ _id, status: { $in: [...from] }, ...fence } as Filter<OrgDoc>, update);
    if (result.matchedCount === 0) return null;
    return this.findById(id);
  }

  async remove(id: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.deleteOne({ _id });
  }

  async listUnsettled(before: Date): Promise<Organization[]> {
    const docs = await this.#col.find({ status: { $ne: 'active' }, 'operation.startedAt': { $lt: before } }).toArray();
    return docs.map(toOrg);
  }

  async placesInUse(): Promise<PlaceName[]> {
    const docs = await this.#col.find({}, { projection: { placement: 1, operation: 1 } }).toArray();
    return docs.flatMap((doc) => {
      const op = doc.operation;
      return [doc.placement, ...(op && (op.kind === 'rename' || op.kind === 'move') ? [op.from, op.to] : [])];
    });
  }

  async isPlaceInUse(place: PlaceName): Promise<boolean> {
    const at = (path: string) => ({ [`${path}.database`]: place.database, [`${path}.collection`]: place.collection });
    const doc = await this.#col.findOne(
      { $or: [at('placement'), at('operation.from'), at('operation.to')] },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }
}

export class MongoOperationLockStore implements OperationLockStore {
  readonly #col: Collection<LockDoc>;

  constructor(col: Collection<LockDoc>) {
    this.#col = col;
  }

  async acquire(lock: OperationLock): Promise<boolean> {
    const _id = oid(lock.orgId);
    if (!_id) return false;
    try {
      await this.#col.insertOne({
        _id,
        lockId: lock.lockId,
        kind: lock.kind,
        startedAt: lock.startedAt,
        ...(lock.renewedAt ? { renewedAt: lock.renewedAt } : {}),
      });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
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

  async listStartedBefore(before: Date): Promise<OperationLock[]> {
    const docs = await this.#col.find(lastAliveBefore(before)).toArray();
    return docs.map(toLock);
  }
}

export class MongoNameClaimStore implements NameClaimStore {
  readonly #col: Collection<NameDoc>;

  constructor(col: Collection<NameDoc>) {
    this.#col = col;
  }

  async claim(claim: NameClaim): Promise<boolean> {
    try {
      await this.#col.insertOne({ _id: claim.slug, orgId: new ObjectId(claim.orgId), claimedAt: claim.claimedAt });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
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

/** The MongoDB implementation of every organization port, with outages mapped to 503. */
export function mongoOrgStores(client: MongoClient, masterDb: string, policy: PlacementPolicy): OrgStores {
  const db = client.db(masterDb);
  return {
    orgs: withUnavailableMapping(new MongoOrganizationStore(db.collection<OrgDoc>('organizations'))),
    locks: withUnavailableMapping(new MongoOperationLockStore(db.collection<LockDoc>('org_locks'))),
    names: withUnavailableMapping(new MongoNameClaimStore(db.collection<NameDoc>('org_names'))),
    admins: mongoAdminStore(db),
    tenants: withUnavailableMapping(new MongoTenantSpaces(client, policy)),
    sessions: withUnavailableMapping(refreshTokenStore(db)),
  };
}
