import { type Collection, type Db, type MongoClient, ObjectId } from 'mongodb';
import type { Admin, NameClaim, Operation, Organization, OrgStatus, Placement } from '../orgs/model.ts';
import type {
  AdminStore,
  CredentialChanges,
  NameClaimStore,
  OrganizationStore,
  OrgChanges,
  OrgStores,
  TenantSpaces,
} from '../orgs/stores.ts';
import { ensureAuthIndexes, refreshTokenStore } from './auth-stores.ts';
import { hasCode, isDuplicateKey, withUnavailableMapping } from './errors.ts';

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
}

interface AdminDoc {
  _id: ObjectId;
  email: string;
  passwordHash: string;
  orgId: ObjectId;
  tokenVersion?: number;
  createdAt: Date;
  updatedAt: Date;
}

interface NameDoc {
  _id: string;
  orgId: ObjectId;
  claimedAt: Date;
}

/** An id from outside (token, request) that is not an ObjectId matches nothing. */
function oid(id: string): ObjectId | null {
  return ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : null;
}

function toOrg(doc: OrgDoc): Organization {
  const { _id, adminId, operation, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), adminId: adminId.toHexString(), ...(operation ? { operation } : {}) };
}

function toAdmin(doc: AdminDoc): Admin {
  const { _id, orgId, tokenVersion, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), orgId: orgId.toHexString(), tokenVersion: tokenVersion ?? 0 };
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

  async transition(id: string, from: readonly OrgStatus[], changes: OrgChanges): Promise<Organization | null> {
    const _id = oid(id);
    if (!_id) return null;
    const { operation, ...set } = changes;
    const update =
      operation === null ? { $set: set, $unset: { operation: '' as const } } : { $set: operation ? { ...set, operation } : set };
    const result = await this.#col.updateOne({ _id, status: { $in: [...from] } }, update);
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

export class MongoAdminStore implements AdminStore {
  readonly #col: Collection<AdminDoc>;

  constructor(col: Collection<AdminDoc>) {
    this.#col = col;
  }

  async insert(admin: Admin): Promise<'ok' | 'email_taken'> {
    const { id, orgId, ...rest } = admin;
    try {
      await this.#col.insertOne({ ...rest, _id: new ObjectId(id), orgId: new ObjectId(orgId) });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'email_taken';
      throw error;
    }
  }

  async findById(id: string): Promise<Admin | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toAdmin(doc) : null;
  }

  async findByEmail(email: string): Promise<Admin | null> {
    const doc = await this.#col.findOne({ email });
    return doc ? toAdmin(doc) : null;
  }

  async updateCredentials(id: string, changes: CredentialChanges, at: Date): Promise<'ok' | 'email_taken' | 'missing'> {
    const _id = oid(id);
    if (!_id) return 'missing';
    try {
      const result = await this.#col.updateOne({ _id }, { $set: { ...changes, updatedAt: at }, $inc: { tokenVersion: 1 } });
      return result.matchedCount === 0 ? 'missing' : 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'email_taken';
      throw error;
    }
  }

  async replaceHash(id: string, previous: string, next: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id, passwordHash: previous }, { $set: { passwordHash: next } });
  }

  async bumpTokenVersion(id: string, at: Date): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id }, { $inc: { tokenVersion: 1 }, $set: { updatedAt: at } });
  }

  async removeByOrg(orgId: string): Promise<void> {
    await this.#col.deleteMany({ orgId: new ObjectId(orgId) });
  }
}

/** Collection-per-organization placement: every org's data in one collection of the tenant database. */
export class MongoTenantSpaces implements TenantSpaces {
  readonly #client: MongoClient;

  constructor(client: MongoClient) {
    this.#client = client;
  }

  private db(placement: Placement): Db {
    return this.#client.db(placement.database);
  }

  async create(placement: Placement): Promise<void> {
    try {
      await this.db(placement).createCollection(placement.collection);
    } catch (error) {
      if (!hasCode(error, 48)) throw error; // NamespaceExists: an earlier run of this step created it
    }
  }

  async drop(placement: Placement): Promise<void> {
    try {
      await this.db(placement).collection(placement.collection).drop();
    } catch (error) {
      if (!hasCode(error, 26)) throw error; // NamespaceNotFound: dropped already
    }
  }

  async move(from: Placement, to: Placement): Promise<void> {
    if (from.database !== to.database) {
      throw new Error('Moving data between databases is not supported in collection mode');
    }
    if (from.collection === to.collection) return;
    try {
      await this.db(from).renameCollection(from.collection, to.collection);
    } catch (error) {
      if (!hasCode(error, 26)) throw error;
      // Source gone: an earlier run moved it. Make sure the target exists (an org's space always does).
      await this.create(to);
    }
  }
}

const ensured = new WeakMap<MongoClient, Map<string, Promise<void>>>();

/** Creates the master indexes once per container and database (idempotent on the server). */
export function ensureMasterIndexes(client: MongoClient, masterDb: string): Promise<void> {
  let byDb = ensured.get(client);
  if (!byDb) {
    byDb = new Map();
    ensured.set(client, byDb);
  }
  let pending = byDb.get(masterDb);
  if (!pending) {
    const db = client.db(masterDb);
    pending = Promise.all([
      db.collection('organizations').createIndex({ slug: 1 }, { unique: true, name: 'slug_unique' }),
      db.collection('admins').createIndex({ email: 1 }, { unique: true, name: 'email_unique' }),
      db.collection('admins').createIndex({ orgId: 1 }, { name: 'org' }),
      db.collection('org_names').createIndex({ orgId: 1 }, { name: 'org' }),
      ensureAuthIndexes(db),
    ]).then(() => undefined);
    byDb.set(masterDb, pending);
    pending.catch(() => byDb.delete(masterDb));
  }
  return pending;
}

/** The MongoDB implementation of every organization port, with outages mapped to 503. */
export function mongoOrgStores(client: MongoClient, masterDb: string): OrgStores {
  const db = client.db(masterDb);
  return {
    orgs: withUnavailableMapping(new MongoOrganizationStore(db.collection<OrgDoc>('organizations'))),
    names: withUnavailableMapping(new MongoNameClaimStore(db.collection<NameDoc>('org_names'))),
    admins: withUnavailableMapping(new MongoAdminStore(db.collection<AdminDoc>('admins'))),
    tenants: withUnavailableMapping(new MongoTenantSpaces(client)),
    sessions: withUnavailableMapping(refreshTokenStore(db)),
  };
}
