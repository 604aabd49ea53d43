import { BSON, type Collection, type Db, type Document, type MongoClient, ObjectId } from 'mongodb';
import { log } from '../log.ts';
import { type Placement, samePlace } from '../orgs/model.ts';
import type { CopyBatch, PlaceName, TenantSpaces } from '../orgs/stores.ts';
import { type PlacementPolicy, RECORDS_COLLECTION } from '../tenancy/placement-policy.ts';
import { collectionUuid, isDuplicateKey, isIgnorableIndexRefusal } from './compat.ts';
import { hasCode } from './errors.ts';

/** Copies read and write BSON values as they are (an int stays an int, a double a double). */
const RAW = { promoteValues: false, promoteLongs: false, promoteBuffers: false } as const;

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

/** The smallest ObjectId: `{ $gte: FIRST_OBJECT_ID }` selects every ObjectId `_id`. */
const FIRST_OBJECT_ID = new ObjectId('000000000000000000000000');

/**
 * The source's records (and documents put there by other means, which carry no generation). A
 * document with another generation is a stray from a late write: it is neither read nor copied.
 */
const ofGeneration = (from: Placement): Document => ({ gen: { $in: [from.gen ?? null, null] } });

/** A source document as the target holds it: the source's generation becomes the target's. */
const retagger =
  (from: Placement, to: Placement) =>
  (doc: Document): Document =>
    (doc.gen ?? null) === (from.gen ?? null) ? { ...doc, gen: to.gen } : doc;

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
    // Newest first within a generation: the records list's order. Only a speed-up, so a refusal is
    // logged, not fatal (see `isIgnorableIndexRefusal`).
    await this.#col(placement)
      .createIndex({ gen: 1, createdAt: -1, _id: -1 }, { name: 'records_newest' })
      .catch((error: unknown) => {
        if (!isIgnorableIndexRefusal(error)) throw error;
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

  /** Whether the collection exists and, if the server says, its UUID (see `collectionUuid`). */
  async #identity(placement: PlaceName): Promise<{ exists: boolean; uuid?: string }> {
    const [entry] = await this.#db(placement).listCollections({ name: placement.collection }).toArray();
    if (!entry) return { exists: false };
    const uuid = collectionUuid(entry);
    return uuid === undefined ? { exists: true } : { exists: true, uuid };
  }

  /** Both places' identities, in one `listCollections` (they are in one database). */
  async #identities(
    from: PlaceName,
    to: PlaceName,
  ): Promise<[{ exists: boolean; uuid?: string }, { exists: boolean; uuid?: string }]> {
    const entries = await this.#db(from)
      .listCollections({ name: { $in: [from.collection, to.collection] } })
      .toArray();
    const of = (name: string) => {
      const entry = entries.find((e) => e.name === name);
      if (!entry) return { exists: false };
      const uuid = collectionUuid(entry);
      return uuid === undefined ? { exists: true } : { exists: true, uuid };
    };
    return [of(from.collection), of(to.collection)];
  }

  async identify(placement: Placement): Promise<string | undefined> {
    const found = await this.#identity(placement);
    if (found.exists) return found.uuid;
    await this.create(placement);
    return (await this.#identity(placement)).uuid; // the new collection's, read once it exists
  }

  async renameCollection(from: Placement, to: Placement, sourceId?: string): Promise<void> {
    if (from.database !== to.database) throw new Error('A collection can only be renamed within its database');
    if (from.collection === to.collection) return;
    const db = this.#db(from);
    if (sourceId === undefined) {
      // A server that does not report collection identities (see `collectionUuid`): a missing source
      // means it moved already.
      try {
        await db.renameCollection(from.collection, to.collection);
      } catch (error) {
        if (!hasCode(error, 26)) throw error;
        await this.create(to);
      }
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      const [source, target] = await this.#identities(from, to);
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

  async copyBatch(from: Placement, to: Placement, after: string | undefined, limit: number): Promise<CopyBatch> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const source = this.#col(from);
    const target = this.#col(to);
    const lower = after === undefined ? { $gte: FIRST_OBJECT_ID } : { $gt: new ObjectId(after) };
    // Range queries on `_id` match one BSON type only (MongoDB's type bracketing): ObjectIds here, the
    // rest in `copyRest`.
    const docs = await source
      .find({ _id: lower, ...ofGeneration(from) }, RAW)
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    const last = docs.at(-1)?._id as ObjectId | undefined;
    const done = docs.length < limit;
    // The last batch's range is open: whatever the target holds beyond the source's end goes.
    const range = done || !last ? { _id: lower } : { _id: { ...lower, $lte: last } };
    await this.#mirror(target, range, docs.map(retagger(from, to)));
    return { ...(last ? { last: last.toHexString() } : {}), documents: docs.length, done };
  }

  async copyRest(from: Placement, to: Placement): Promise<{ documents: number }> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const notObjectId: Document = { _id: { $not: { $type: 'objectId' } } };
    const docs = await this.#col(from)
      .find({ ...notObjectId, ...ofGeneration(from) }, RAW)
      .toArray();
    await this.#mirror(this.#col(to), notObjectId, docs.map(retagger(from, to)));
    return { documents: docs.length };
  }

  /**
   * Makes the documents of `target` that `range` selects exactly `wanted`: missing ones inserted,
   * different ones replaced, extra ones removed; then reads the range back and throws if it still
   * differs (the step is retried).
   */
  async #mirror(target: Collection, range: Document, wanted: readonly Document[]): Promise<void> {
    const have = new Map((await target.find(range, RAW).toArray()).map((doc) => [idKey(doc._id), canonical(doc)]));
    const want = new Map(wanted.map((doc) => [idKey(doc._id), doc]));
    const missing = wanted.filter((doc) => !have.has(idKey(doc._id)));
    const differing = wanted.filter((doc) => have.has(idKey(doc._id)) && have.get(idKey(doc._id)) !== canonical(doc));
    const extra = [...have.keys()].filter((key) => !want.has(key));
    if (missing.length > 0) {
      try {
        await target.insertMany(missing as Document[], { ordered: false });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // a twin worker inserted some first: the read-back decides
      }
    }
    for (const doc of differing) await target.replaceOne({ _id: doc._id }, doc, { upsert: true });
    if (extra.length > 0) {
      await target.deleteMany({ _id: { $in: extra.map((key) => BSON.EJSON.parse(key, { relaxed: false }).id) } } as Document);
    }
    const after = await target.find(range, RAW).toArray();
    const same =
      after.length === wanted.length && after.every((doc) => canonical(doc) === canonical(want.get(idKey(doc._id)) ?? {}));
    if (!same) throw new Error(`The copy of a batch to ${target.dbName}.${target.collectionName} does not match its source`);
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
