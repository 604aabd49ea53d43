import { BSON, type Document, MongoServerError } from 'mongodb';
import { mapOutage } from './errors.ts';

/**
 * Where the servers this service runs on answer differently, and how the code copes: every such
 * difference is here, each with what MongoDB does, what FerretDB 1.24 (the embedded database of
 * `npm start` and the tests) does, and what the code does about it. MongoDB is the normal path; a
 * FerretDB branch below only ever catches an answer MongoDB does not give, or gives in a case that
 * leads to the same outcome.
 */

/**
 * A write failed on a unique index.
 *
 * - MongoDB: code 11000 (11001 from old servers), on insert, update, replace and upsert alike.
 * - FerretDB: 11000 on insert and upsert; on update, replace and findOneAndUpdate code 1 with the
 *   SQLite message `UNIQUE constraint failed`.
 * - So: both count as a duplicate. Names are claimed by inserting (see name-claim-store.ts), so no
 *   decision rests on how an update reports the clash; an email change meeting another admin's email
 *   is still 409 on both.
 */
export function isDuplicateKey(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  if (error.code === 11000 || error.code === 11001) return true;
  return error.code === 1 && /UNIQUE constraint failed|duplicate key/i.test(error.message);
}

/**
 * A TTL index could not be made.
 *
 * - MongoDB: TTL indexes exist; documents are removed about a minute after `expiresAt`.
 * - FerretDB: `expireAfterSeconds` is refused with code 238 (not implemented).
 * - So: the database setup reports such an index as unsupported instead of failing, and every query
 *   on expiring data filters by `expiresAt` itself, so expired documents are never read on either
 *   server; on FerretDB they are only never reclaimed.
 */
export function isTtlIndexUnsupported(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 238;
}

/**
 * The server refused a value of a record it cannot store.
 *
 * - MongoDB: stores every value a JSON body can hold (the API refuses the rest before the database).
 * - FerretDB, both backends: refuses arrays nested directly in arrays, with code 2 (BadValue).
 * - FerretDB on PostgreSQL: refuses strings holding U+0000 (NUL), which PostgreSQL's `jsonb` cannot
 *   hold, with code 1 and `unsupported Unicode escape sequence (SQLSTATE 22P05)`; on SQLite they
 *   are stored.
 * - So: the refusal is the client's input, a 400 `unsupported_value` that points at each nested
 *   array, or when there is none at each string holding NUL (see `pointAtUnsupported` in
 *   records/model.ts), never a 500. The same body is stored exactly where the server can store it.
 */
export function isUnstorableValue(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return error.code === 2 || (error.code === 1 && isNulRefusal(error.message));
}

/** PostgreSQL's refusal of a NUL in a `jsonb` string, as FerretDB passes it on (SQLSTATE 22P05). */
function isNulRefusal(message: string): boolean {
  return /SQLSTATE 22P05|unsupported Unicode escape sequence/.test(message);
}

/**
 * The server refused a records query on the field names of its filters.
 *
 * - MongoDB: queries any field name the API lets through.
 * - FerretDB: refuses a path element with surrounding spaces (`filter[ a ]`).
 * - So: a server error (not an outage) on a query with filters is the client's filter, a 400
 *   `unsupported_filter` naming the filters with surrounding spaces (or all of them if none has).
 */
export function isUnqueryableFilter(error: unknown, fields: readonly string[]): boolean {
  return error instanceof MongoServerError && fields.length > 0 && mapOutage(error) === error;
}

/**
 * An optional index (the records list's order, on an organization's place) was refused.
 *
 * - MongoDB: creating it on a new collection succeeds, and again on an existing one does nothing.
 * - FerretDB: now and then says the index of a collection dropped and created again under the same
 *   name exists already.
 * - So: the index is only a speed-up; any refusal but an outage is logged and the place is used
 *   without it. An outage still fails the step (503).
 */
export function isIgnorableIndexRefusal(error: unknown): boolean {
  return mapOutage(error) === error;
}

/**
 * The identity (UUID) of a collection, from its `listCollections` entry, as hex.
 *
 * - MongoDB: reports `info.uuid` as a BSON UUID (binary subtype 4), stable across a rename.
 * - FerretDB: reports it as a plain string, which is not read here.
 * - So: `undefined` on FerretDB, and a rename takes the path for servers without identities (a
 *   missing source means the rename happened already; see tenant-spaces.ts `renameCollection`).
 */
export function collectionUuid(entry: Document): string | undefined {
  const uuid = (entry as { info?: { uuid?: unknown } }).info?.uuid;
  if (uuid instanceof BSON.UUID) return uuid.toHexString();
  if (uuid instanceof BSON.Binary) return uuid.toString('hex');
  return undefined;
}

/**
 * A record operation met its collection renamed or dropped under it.
 *
 * - MongoDB: a write into a collection renamed away meanwhile creates a new, empty collection under
 *   the old name (a stray the records fence finds and removes); a read finds nothing. No error.
 * - FerretDB on SQLite: the same.
 * - FerretDB on PostgreSQL: the statement fails with code 1 and `relation ... does not exist
 *   (SQLSTATE 42P01)`: the table was renamed or dropped while it ran.
 * - So: the record store reports it as `PlaceGoneError`, and the records service handles it as data
 *   that moved (waits for the new place and runs the operation there), never as a 500.
 */
export function isPlaceGoneMidStatement(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 1 && /SQLSTATE 42P01/.test(error.message);
}

/**
 * A filter on `_id` being one of `ids` (at least one).
 *
 * - MongoDB: `{_id: {$in: ids}}` is served by the `_id` index, one look-up per id, however many.
 * - FerretDB 1.24: `$in` is not pushed down to SQL, so the whole collection is read and filtered in
 *   Go (about 1 s for 20,000 documents on the PostgreSQL backend), where `{_id: id}` is pushed down
 *   (an index scan there, with the embedded cluster's index twins; see bin/embedded-db/lookup-indexes.sql).
 * - So: a single id, the usual case (a user of one organization), is written as an equality, which
 *   both serve by index; several stay `$in`, MongoDB's path.
 */
export function idIn<T>(ids: readonly T[]): { _id: T | { $in: T[] } } {
  const [only] = ids;
  return ids.length === 1 && only !== undefined ? { _id: only } : { _id: { $in: [...ids] } };
}
