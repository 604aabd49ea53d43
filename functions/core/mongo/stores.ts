import { BSON, type Collection, type Db, type Document, type Filter, type MongoClient, ObjectId } from 'mongodb';
import { PromiseCache } from '../cache.ts';
import { log } from '../log.ts';
import {
  type Admin,
  type NameClaim,
  type Operation,
  type OperationLock,
  type Organization,
  type OrgStatus,
  type Placement,
  samePlace,
} from '../orgs/model.ts';
import type {
  AdminStore,
  CredentialChanges,
  NameClaimStore,
  OperationLockStore,
  OrganizationStore,
  OrgChanges,
  OrgStores,
  PlaceName,
  TenantSpaces,
} from '../orgs/stores.ts';
import { type PlacementPolicy, RECORDS_COLLECTION } from '../tenancy/router.ts';
import { ensureAuthIndexes, refreshTokenStore } from './auth-stores.ts';
import { hasCode, isDuplicateKey, mapOutage, withUnavailableMapping } from './errors.ts';

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

/** An id from outside (token, request) that is not an ObjectId matches nothing. */
function oid(id: string): ObjectId | null {
  return ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : null;
}

function toOrg(doc: OrgDoc): Organization {
  const { _id, adminId, operation, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), adminId: adminId.toHexString(), ...(operation ? { operation } : {}) };
}

function toLock(doc: LockDoc): OperationLock {
  const { _id, renewedAt, ...rest } = doc;
  return { ...rest, orgId: _id.toHexString(), ...(renewedAt ? { renewedAt } : {}) };
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

/** Copies read and write BSON values as they are (an int stays an int, a double a double). */
const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;
const COPY_BATCH = 500;
const COPY_PASSES = 5;

/** A document as canonical Extended JSON with sorted keys: equal strings mean equal documents. */
function canonical(doc: Document): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sort((value as Record<string, unknown>)[key])]),
    );
  };
  return JSON.stringify(sort(BSON.EJSON.serialize(doc, { relaxed: false })));
}

const idKey = (id: unknown) => JSON.stringify(BSON.EJSON.serialize({ id }, { relaxed: false }));

/**
 * The places that hold organizations' data: a collection in the tenant database (collection mode) or
 * an organization's own database (database mode). Records are documents tagged with their place's
 * generation (see {@link Placement.gen}).
 */
export class MongoTenantSpaces implements TenantSpaces {
  readonly #client: MongoClient;
  readonly #policy: PlacementPolicy;

  constructor(client: MongoClient, policy: PlacementPolicy) {
    this.#client = client;
    this.#policy = policy;
  }

  #db(placement: PlaceName): Db {
    return this.#client.db(placement.database);
  }

  #col(placement: PlaceName): Collection {
    return this.#db(placement).collection(placement.collection);
  }

  async create(placement: Placement): Promise<void> {
    try {
      await this.#db(placement).createCollection(placement.collection);
    } catch (error) {
      if (!hasCode(error, 48)) throw error; // NamespaceExists: an earlier run of this step created it
    }
    // Newest first within a generation: the records list's order. Only a speed-up, so a refusal (FerretDB
    // now and then says a re-created collection's index exists already) is logged, not fatal.
    await this.#col(placement)
      .createIndex({ gen: 1, createdAt: -1, _id: -1 }, { name: 'records_newest' })
      .catch((error: unknown) => {
        if (mapOutage(error) !== error) throw error;
        log.warn('records index not created', { database: placement.database, collection: placement.collection });
      });
  }

  async drop(placement: Placement): Promise<void> {
    if (placement.mode === 'database') {
      await this.#db(placement).dropDatabase();
      return;
    }
    try {
      await this.#col(placement).drop();
    } catch (error) {
      if (!hasCode(error, 26)) throw error; // NamespaceNotFound: dropped already
    }
  }

  /** Whether the collection exists and, if the server says, its UUID. */
  async #identity(placement: PlaceName): Promise<{ exists: boolean; uuid?: string }> {
    const [info] = await this.#db(placement).listCollections({ name: placement.collection }).toArray();
    if (!info) return { exists: false };
    const uuid = (info as { info?: { uuid?: unknown } }).info?.uuid;
    if (uuid instanceof BSON.UUID) return { exists: true, uuid: uuid.toHexString() };
    if (uuid instanceof BSON.Binary) return { exists: true, uuid: uuid.toString('hex') };
    return { exists: true };
  }

  async identify(placement: Placement): Promise<string | undefined> {
    if (!(await this.#identity(placement)).exists) await this.create(placement);
    return (await this.#identity(placement)).uuid;
  }

  async move(from: Placement, to: Placement, sourceId?: string): Promise<void> {
    if (from.database !== to.database) throw new Error('A collection can only be renamed within its database');
    if (from.collection === to.collection) return;
    const db = this.#db(from);
    if (sourceId === undefined) {
      // A server that does not report collection identities: a missing source means it moved already.
      try {
        await db.renameCollection(from.collection, to.collection);
      } catch (error) {
        if (!hasCode(error, 26)) throw error;
        await this.create(to);
      }
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      const [source, target] = await Promise.all([this.#identity(from), this.#identity(to)]);
      if (target.uuid === sourceId) return; // moved already
      // Whatever holds the target name is a stray (a late write after its owner left): not ours.
      if (target.exists) await this.#col(to).drop();
      if (source.uuid !== sourceId) {
        log.error('the collection to rename is missing; continuing with an empty one', {
          database: from.database,
          collection: from.collection,
        });
        await this.create(to);
        return;
      }
      try {
        await db.renameCollection(from.collection, to.collection);
        return;
      } catch (error) {
        if (!hasCode(error, 48) || attempt >= 3) throw error; // a stray appeared under the target name again
      }
    }
  }

  async copy(from: Placement, to: Placement): Promise<{ documents: number }> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    await this.drop(to);
    await this.create(to);
    const source = this.#col(from);
    const target = this.#col(to);
    // The source's records (and documents put there by other means, which carry no generation). A
    // document with another generation is a stray from a late write: it is neither read nor copied.
    const selection = { gen: { $in: [from.gen ?? null, null] } };
    const retag = (doc: Document): Document => ((doc.gen ?? null) === (from.gen ?? null) ? { ...doc, gen: to.gen } : doc);
    const upsert = (doc: Document) => ({ replaceOne: { filter: { _id: doc._id }, replacement: retag(doc), upsert: true } });

    let batch: Document[] = [];
    for await (const doc of source.find(selection, RAW).sort({ _id: 1 }).batchSize(COPY_BATCH)) {
      batch.push(doc);
      if (batch.length >= COPY_BATCH) {
        await target.bulkWrite(batch.map(upsert), { ordered: false });
        batch = [];
      }
    }
    if (batch.length > 0) await target.bulkWrite(batch.map(upsert), { ordered: false });

    // Verify document by document, repairing what differs (a write that raced the fence), until a
    // pass finds nothing to repair.
    for (let pass = 1; pass <= COPY_PASSES; pass += 1) {
      const { documents, repaired } = await this.#verify(source, target, selection, retag);
      if (repaired === 0) return { documents };
    }
    throw new Error(`The copy to ${to.database}.${to.collection} does not match its source`);
  }

  async #verify(
    source: Collection,
    target: Collection,
    selection: Document,
    retag: (doc: Document) => Document,
  ): Promise<{ documents: number; repaired: number }> {
    const seen = new Set<string>();
    let repaired = 0;
    const check = async (batch: Document[]) => {
      const copies = await target.find({ _id: { $in: batch.map((doc) => doc._id) } }, RAW).toArray();
      const byId = new Map(copies.map((doc) => [idKey(doc._id), canonical(doc)]));
      const fixes = batch.filter((doc) => byId.get(idKey(doc._id)) !== canonical(retag(doc)));
      if (fixes.length > 0) {
        await target.bulkWrite(
          fixes.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: retag(doc), upsert: true } })),
          { ordered: false },
        );
      }
      repaired += fixes.length;
    };
    let batch: Document[] = [];
    for await (const doc of source.find(selection, RAW).sort({ _id: 1 }).batchSize(COPY_BATCH)) {
      seen.add(idKey(doc._id));
      batch.push(doc);
      if (batch.length >= COPY_BATCH) {
        await check(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await check(batch);

    const extra: unknown[] = [];
    for await (const doc of target.find({}, { projection: { _id: 1 } })) if (!seen.has(idKey(doc._id))) extra.push(doc._id);
    for (let i = 0; i < extra.length; i += COPY_BATCH) {
      await target.deleteMany({ _id: { $in: extra.slice(i, i + COPY_BATCH) } } as Document);
    }
    return { documents: seen.size, repaired: repaired + extra.length };
  }

  async list(): Promise<Placement[]> {
    const tenantDb = this.#policy.tenantDb;
    const [collections, databases] = await Promise.all([
      this.#client.db(tenantDb).listCollections({}, { nameOnly: true }).toArray(),
      this.#client.db('admin').admin().listDatabases({ nameOnly: true }),
    ]);
    return [
      ...collections
        .filter((c) => this.#policy.isTenantPlace({ database: tenantDb, collection: c.name }))
        .map((c) => ({ mode: 'collection' as const, database: tenantDb, collection: c.name })),
      ...databases.databases
        .filter((d) => this.#policy.isTenantDatabase(d.name))
        .map((d) => ({ mode: 'database' as const, database: d.name, collection: RECORDS_COLLECTION })),
    ];
  }
}

const ensured = new WeakMap<MongoClient, PromiseCache<string, void>>();

/** Creates the master indexes once per container and database (idempotent on the server). */
export function ensureMasterIndexes(client: MongoClient, masterDb: string): Promise<void> {
  let byDb = ensured.get(client);
  if (!byDb) {
    byDb = new PromiseCache<string, void>();
    ensured.set(client, byDb);
  }
  return byDb.get(masterDb, () => {
    const db = client.db(masterDb);
    return Promise.all([
      db.collection('organizations').createIndex({ slug: 1 }, { unique: true, name: 'slug_unique' }),
      db.collection('admins').createIndex({ email: 1 }, { unique: true, name: 'email_unique' }),
      db.collection('admins').createIndex({ orgId: 1 }, { name: 'org' }),
      db.collection('org_names').createIndex({ orgId: 1 }, { name: 'org' }),
      db.collection('org_locks').createIndex({ startedAt: 1 }, { name: 'started' }),
      ensureAuthIndexes(db),
    ]).then(() => undefined);
  });
}

/** The MongoDB implementation of every organization port, with outages mapped to 503. */
export function mongoOrgStores(client: MongoClient, masterDb: string, policy: PlacementPolicy): OrgStores {
  const db = client.db(masterDb);
  return {
    orgs: withUnavailableMapping(new MongoOrganizationStore(db.collection<OrgDoc>('organizations'))),
    locks: withUnavailableMapping(new MongoOperationLockStore(db.collection<LockDoc>('org_locks'))),
    names: withUnavailableMapping(new MongoNameClaimStore(db.collection<NameDoc>('org_names'))),
    admins: withUnavailableMapping(new MongoAdminStore(db.collection<AdminDoc>('admins'))),
    tenants: withUnavailableMapping(new MongoTenantSpaces(client, policy)),
    sessions: withUnavailableMapping(refreshTokenStore(db)),
  };
}
