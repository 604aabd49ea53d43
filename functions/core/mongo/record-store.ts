import { type Collection, type Document, type Filter, type MongoClient, ObjectId } from 'mongodb';
import { ValidationError } from '../errors.ts';
import { numberSurvives } from '../http/json.ts';
import type { Placement } from '../orgs/model.ts';
import type { RecordData, StoredRecord } from '../records/model.ts';
import { PlaceGoneError, type RecordQuery, type RecordStore } from '../records/stores.ts';
import { tenantCollection } from '../tenancy/placement-policy.ts';
import { isDuplicateKey, isPlaceGoneMidStatement, isUnqueryableFilter, isUnstorableValue } from './compat.ts';
import { oid } from './object-ids.ts';

/**
 * Records in an organization's place: `{ _id, gen, rev, createdAt, updatedAt, data }`, the client's
 * JSON object under `data` so that no field name of theirs can collide with ours. Every query carries
 * the place's generation, so a document a late write left under an old generation is never seen.
 */

interface RecordDoc {
  _id: ObjectId;
  gen?: string;
  rev?: number;
  createdAt?: Date;
  updatedAt?: Date;
  data?: unknown;
}

/** Only this place's generation (documents that predate generations have none). */
const visible = (place: Placement): Filter<RecordDoc> => ({ gen: place.gen ?? null }) as Filter<RecordDoc>;

const isObject = (value: unknown): value is RecordData =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

function toRecord(doc: RecordDoc): StoredRecord {
  const { _id, gen, rev, createdAt, updatedAt, data, ...rest } = doc as RecordDoc & RecordData;
  const created = createdAt instanceof Date ? createdAt : _id.getTimestamp();
  return {
    id: _id.toHexString(),
    // A document put there by other means than this API shows its own fields.
    data: isObject(data) ? data : rest,
    createdAt: created,
    updatedAt: updatedAt instanceof Date ? updatedAt : created,
    rev: rev ?? 0,
  };
}

/**
 * A query-string value matches itself and the number, boolean or null it spells; a number only when a
 * double holds it exactly (`9007199254740993` matches no stored number, as none can be that number).
 */
function candidates(value: string): unknown[] {
  const out: unknown[] = [value];
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value) && numberSurvives(value)) out.push(Number(value));
  if (value === 'true' || value === 'false') out.push(value === 'true');
  if (value === 'null') out.push(null);
  return out;
}

/** A value the server cannot store is the client's input (see `isUnstorableValue`). */
function refused(error: unknown): never {
  if (isUnstorableValue(error)) {
    throw new ValidationError('The record holds a value the database cannot store.', [], 'unsupported_value');
  }
  throw error;
}

/**
 * A filter on field names the server cannot query is the client's (see `isUnqueryableFilter`): a 400
 * naming the filters (those with surrounding spaces when there are any). Anything else, an outage
 * included, goes on.
 */
function refusedFilter(error: unknown, fields: readonly string[]): never {
  if (!isUnqueryableFilter(error, fields)) throw error;
  const spaced = fields.filter((field) => field.trim() !== field);
  const named = spaced.length > 0 ? spaced : fields;
  throw new ValidationError(
    'The database cannot query a field of this name.',
    named.map((field) => ({ pointer: `/filter[${field}]`, message: 'cannot be queried on this database' })),
    'unsupported_filter',
  );
}

export class MongoRecordStore implements RecordStore {
  readonly #client: MongoClient;

  constructor(client: MongoClient) {
    this.#client = client;
  }

  #col(place: Placement): Collection<RecordDoc> {
    return tenantCollection<RecordDoc>(this.#client, place);
  }

  async insert(place: Placement, record: StoredRecord): Promise<'ok' | 'exists'> {
    const _id = oid(record.id);
    if (!_id) throw new Error('record ids are ObjectIds');
    try {
      await this.#col(place).insertOne({
        _id,
        ...(place.gen ? { gen: place.gen } : {}),
        rev: record.rev,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
        data: record.data,
      });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'exists';
      return refused(error);
    }
  }

  async find(place: Placement, id: string): Promise<StoredRecord | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col(place).findOne({ _id, ...visible(place) }));
    return doc ? toRecord(doc) : null;
  }

  async list(place: Placement, query: RecordQuery): Promise<StoredRecord[]> {
    const filter: Document = { ...visible(place) };
    for (const [field, value] of Object.entries(query.filter)) filter[`data.${field}`] = { $in: candidates(value) };
    if (query.after) {
      const { createdAt, id } = query.after;
      filter.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: new ObjectId(id) } }];
    }
    try {
      const docs = await this.#col(place)
        .find(filter as Filter<RecordDoc>)
        .sort({ createdAt: -1, _id: -1 })
        .limit(query.limit)
        .toArray();
      return docs.map(toRecord);
    } catch (error) {
      return refusedFilter(error, Object.keys(query.filter));
    }
  }

  async update(place: Placement, id: string, data: RecordData, at: Date, ifRev?: number): Promise<StoredRecord | null> {
    const _id = oid(id);
    if (!_id) return null;
    const revision = ifRev === undefined ? {} : { rev: ifRev === 0 ? { $in: [0, null] } : ifRev };
    try {
      const doc = await this.#col(place).findOneAndUpdate(
        { _id, ...visible(place), ...revision } as Filter<RecordDoc>,
        { $set: { data, updatedAt: at }, $inc: { rev: 1 } },
        { returnDocument: 'after' },
      );
      return doc ? toRecord(doc) : null;
    } catch (error) {
      return refused(error);
    }
  }

  async remove(place: Placement, id: string): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#col(place).deleteOne({ _id, ...visible(place) });
    return result.deletedCount > 0;
  }
}

/**
 * `store` with a place renamed or dropped under an operation reported as `PlaceGoneError` (see
 * `isPlaceGoneMidStatement`); every other error as it was.
 */
export function withPlaceGoneMapping<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw isPlaceGoneMidStatement(error) ? new PlaceGoneError({ cause: error }) : error;
        }
      };
    },
  });
}
