import { BSON, type Collection, type Db, type Document, type FindCursor, type MongoClient, ObjectId } from 'mongodb';
import { log } from '../log.ts';
import { type Placement, samePlace } from '../orgs/model.ts';
import type { CopyBatch, PlaceName, TenantSpaces, VerifiedBatch } from '../orgs/stores.ts';
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

/** ObjectId `_id`s after `after` (24 hex digits), or all of them. */
const lowerBound = (after: string | undefined) =>
  after === undefined ? { $gte: FIRST_OBJECT_ID } : { $gt: new ObjectId(after) };

/** True when an unordered `insertMany` failed only on documents that are there already (E11000). */
function isOnlyDuplicates(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0) return isDuplicateKey(error);
  return list.every((e) => (e as { code?: number }).code === 11000 || isDuplicateKey(e));
}

/**
 * A cursor in `_id` order read in batches across calls: `position` is the last `_id` handed out, so
 * the next call can tell whether it resumes here. Closes itself when exhausted or failed.
 */
class OrderedCursor {
  readonly #cursor: FindCursor<Document>;
  readonly #forget: () => void;
  #peeked: Document | null | undefined;
  position: string | undefined;

  constructor(cursor: FindCursor<Document>, position: string | undefined, forget: () => void) {
    this.#cursor = cursor;
    this.position = position;
    this.#forget = forget;
  }

  async #next(): Promise<Document | null> {
    if (this.#peeked !== undefined) {
      const doc = this.#peeked;
      this.#peeked = undefined;
      return doc;
    }
    try {
      return await this.#cursor.next();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  #handed(docs: Document[], exhausted: boolean): Document[] {
    const last = docs.at(-1)?._id as ObjectId | undefined;
    if (last) this.position = last.toHexString();
    if (exhausted) void this.close();
    return docs;
  }

  /** Up to `limit` documents; fewer when the cursor is exhausted. */
  async take(limit: number): Promise<Document[]> {
    const docs: Document[] = [];
    while (docs.length < limit) {
      const doc = await this.#next();
      if (!doc) return this.#handed(docs, true);
      docs.push(doc);
    }
    return this.#handed(docs, false);
  }

  /** Every document up to and including `_id` `last`. */
  async takeThrough(last: ObjectId): Promise<Document[]> {
    const docs: Document[] = [];
    for (;;) {
      const doc = await this.#next();
      if (!doc) return this.#handed(docs, true);
      if (doc._id instanceof ObjectId && doc._id.toHexString() > last.toHexString()) {
        this.#peeked = doc;
        this.position = last.toHexString();
        return docs;
      }
      docs.push(doc);
    }
  }

  /** Every document left. */
  takeAll(): Promise<Document[]> {
    return this.take(Number.POSITIVE_INFINITY);
  }

  async close(): Promise<void> {
    this.#forget();
    await this.#cursor.close().catch(() => undefined);
  }
}

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
  /** The open cursors of each copy in this container (see `#cursor`). */
  readonly #cursors = new Map<string, OrderedCursor>();

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

  async copyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<CopyBatch> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const source = this.#cursor('copy', from, to, after, () => this.#sourceCursor(from, after, limit));
    const docs = await source.take(limit);
    if (docs.length > 0) {
      await beforeWrite?.();
      try {
        await this.#col(to).insertMany(docs.map(retagger(from, to)), { ordered: false });
      } catch (error) {
        // Copied already by an earlier, interrupted run: the verification compares them.
        if (!isOnlyDuplicates(error)) throw error;
      }
    }
    const last = docs.at(-1)?._id as ObjectId | undefined;
    return { ...(last ? { last: last.toHexString() } : {}), documents: docs.length, done: docs.length < limit };
  }

  async verifyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<VerifiedBatch> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const source = this.#cursor('verify-source', from, to, after, () => this.#sourceCursor(from, after, limit));
    const target = this.#cursor('verify-target', from, to, after, () =>
      this.#col(to)
        .find({ _id: lowerBound(after) }, RAW)
        .sort({ _id: 1 })
        .batchSize(limit),
    );
    const docs = await source.take(limit);
    const last = docs.at(-1)?._id as ObjectId | undefined;
    const done = docs.length < limit;
    // The target's documents up to the same `_id` (all that are left, after the source's last batch).
    const copies = done ? await target.takeAll() : await target.takeThrough(last as ObjectId);
    const have = new Map(copies.map((doc) => [idKey(doc._id), canonical(doc)]));
    const want = docs.map(retagger(from, to));
    const wanted = new Set(want.map((doc) => idKey(doc._id)));
    const fixes = want.filter((doc) => have.get(idKey(doc._id)) !== canonical(doc));
    const extra = copies.filter((doc) => !wanted.has(idKey(doc._id))).map((doc) => doc._id);
    if (fixes.length + extra.length > 0) await beforeWrite?.();
    for (const doc of fixes) await this.#col(to).replaceOne({ _id: doc._id }, doc, { upsert: true });
    if (extra.length > 0) await this.#col(to).deleteMany({ _id: { $in: extra } });
    return {
      ...(last ? { last: last.toHexString() } : {}),
      documents: docs.length,
      repaired: fixes.length + extra.length,
      done,
    };
  }

  /** The source's ObjectId records after `after`, in `_id` order. */
  #sourceCursor(from: Placement, after: string | undefined, limit: number): FindCursor<Document> {
    // Range queries on `_id` match one BSON type only (MongoDB's type bracketing): ObjectIds here,
    // the rest in `copyRest`.
    return this.#col(from)
      .find({ _id: lowerBound(after), ...ofGeneration(from) }, RAW)
      .sort({ _id: 1 })
      .batchSize(limit);
  }

  /**
   * The copy's open cursor of `role`, if it stopped at `after`, else a new one from there. A copy keeps
   * its cursors open between calls while each call resumes where the last stopped, so it reads each
   * place once (a server that cannot sort by the index, such as the embedded test server, sorts once
   * per cursor); a resumed copy, or another worker, opens new ones.
   */
  #cursor(
    role: string,
    from: PlaceName,
    to: PlaceName,
    after: string | undefined,
    open: () => FindCursor<Document>,
  ): OrderedCursor {
    const key = `${role}:${from.database}.${from.collection}>${to.database}.${to.collection}`;
    const cached = this.#cursors.get(key);
    if (cached && cached.position === after) return cached;
    void cached?.close();
    const cursor = new OrderedCursor(open(), after, () => this.#cursors.delete(key));
    this.#cursors.set(key, cursor);
    return cursor;
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
