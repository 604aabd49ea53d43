import { ValidationError } from '../errors.ts';
import { toPointer } from '../http/pointer.ts';

/**
 * Records: the JSON documents an organization keeps in its own place. A record is a JSON object
 * (`data`) with a server-assigned id and timestamps; the API shows it as {@link PublicRecord}.
 */

/** The largest record, as JSON (UTF-8 bytes), after any merge. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** The deepest nesting of objects and arrays a record may have (MongoDB allows 100 in all). */
export const MAX_RECORD_DEPTH = 50;

export type RecordData = Record<string, unknown>;

export interface StoredRecord {
  readonly id: string;
  readonly data: RecordData;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Goes up with every change; a merge is applied only to the revision it read. */
  readonly rev: number;
}

export interface PublicRecord {
  readonly id: string;
  readonly data: RecordData;
  readonly created_at: string;
  readonly updated_at: string;
}

export function toPublicRecord(record: StoredRecord): PublicRecord {
  return {
    id: record.id,
    data: record.data,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

/** The longest field name, in characters (code points): a name must fit in a `filter[<name>]`. */
export const MAX_FIELD_NAME_CHARS = 256;

/**
 * Why a field name (at any depth, or in `filter[<name>]`) cannot be stored, returned and queried
 * exactly, or undefined when it can:
 * - empty, or with a leading `$` or a `.`: MongoDB reads these as operators and paths;
 * - with U+0000: BSON writes names as NUL-terminated strings;
 * - a lone surrogate: not Unicode text, it has no UTF-8 form;
 * - `__proto__`: JavaScript objects, ours and most clients', treat it as the prototype, not a field;
 * - longer than {@link MAX_FIELD_NAME_CHARS} characters.
 * Names such as `constructor` or `prototype` are ordinary names.
 */
export function fieldNameProblem(name: string): string | undefined {
  if (name === '') return 'field names must not be empty';
  if (name.startsWith('$')) return 'field names must not start with "$"';
  if (name.includes('.')) return 'field names must not contain "."';
  if (name.includes('\u0000')) return 'field names must not contain U+0000 (NUL)';
  if (name === '__proto__') return 'the field name "__proto__" is reserved';
  if (!name.isWellFormed()) return 'field names must not hold a lone surrogate (not Unicode text)';
  if ([...name].length > MAX_FIELD_NAME_CHARS) return `field names must be at most ${MAX_FIELD_NAME_CHARS} characters`;
  return undefined;
}

/** The JSON Schema `pattern` of the name rules a pattern can state (the length is `maxLength`). */
export const FIELD_NAME_PATTERN = '^(?!\\$)(?!__proto__$)[^.\\u0000]+$';

export interface DataIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Every field name (at any depth), value and nesting the database would refuse, or could not give
 * back exactly: names by {@link fieldNameProblem}, strings holding a lone surrogate, numbers that are
 * not finite, nesting deeper than {@link MAX_RECORD_DEPTH}.
 */
export function dataIssues(value: unknown, path: readonly (string | number)[] = []): DataIssue[] {
  if (typeof value === 'string') {
    return value.isWellFormed() ? [] : [{ path, message: 'strings must not hold a lone surrogate (not Unicode text)' }];
  }
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [{ path, message: 'numbers must be finite' }];
  if (value === null || typeof value !== 'object') return [];
  if (path.length >= MAX_RECORD_DEPTH) return [{ path, message: `must not nest deeper than ${MAX_RECORD_DEPTH} levels` }];
  if (Array.isArray(value)) return value.flatMap((item, i) => dataIssues(item, [...path, i]));
  return Object.entries(value).flatMap(([key, item]) => {
    const problem = fieldNameProblem(key);
    return [...(problem ? [{ path: [...path, key], message: problem }] : []), ...dataIssues(item, [...path, key])];
  });
}

/** Where `value` holds an array directly inside an array (some MongoDB-compatible servers refuse them). */
export function nestedArrayPaths(value: unknown, path: readonly (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object' || path.length > MAX_RECORD_DEPTH) return [];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => (Array.isArray(item) ? [[...path, i]] : nestedArrayPaths(item, [...path, i])));
  }
  return Object.entries(value).flatMap(([key, item]) => nestedArrayPaths(item, [...path, key]));
}

/** Where `value` holds a string with U+0000 (NUL) (PostgreSQL-backed servers cannot store one). */
export function nulStringPaths(value: unknown, path: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return value.includes('\u0000') ? [[...path]] : [];
  if (value === null || typeof value !== 'object' || path.length > MAX_RECORD_DEPTH) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nulStringPaths(item, [...path, i]));
  return Object.entries(value).flatMap(([key, item]) => nulStringPaths(item, [...path, key]));
}

/**
 * For a write's `.catch`: a database refusal of a value (`unsupported_value`, which names no place)
 * gets a JSON Pointer to each array nested directly in an array of `data`, or, when there is none, to
 * each string holding NUL: the shapes such servers refuse, the first before the second (FerretDB, and
 * FerretDB on PostgreSQL; MongoDB itself stores both: see `isUnstorableValue` in mongo/compat.ts).
 * Any other error passes unchanged.
 */
export function pointAtUnsupported(data: RecordData): (error: unknown) => never {
  return (error) => {
    if (error instanceof ValidationError && error.code === 'unsupported_value' && error.issues.length === 0) {
      const nested = nestedArrayPaths(data).map((path) => ({
        pointer: toPointer(path),
        message: 'arrays directly inside arrays cannot be stored by this database',
      }));
      const issues =
        nested.length > 0
          ? nested
          : nulStringPaths(data).map((path) => ({
              pointer: toPointer(path),
              message: 'strings holding U+0000 (NUL) cannot be stored by this database',
            }));
      throw new ValidationError(error.message, issues, error.code);
    }
    throw error;
  };
}

/** A record's size as the API counts it: its JSON in UTF-8. */
export function recordBytes(data: RecordData): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

/** Merges top-level fields (JSON Merge Patch at the top level): a `null` removes the field. */
export function mergeTopLevel(data: RecordData, patch: RecordData): RecordData {
  const merged = new Map(Object.entries(data));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) merged.delete(key);
    else merged.set(key, value);
  }
  return Object.fromEntries(merged); // defines fields, so no name is special
}

/** Where a page ended: the last record's creation time and id (the list's sort key). */
export interface Position {
  readonly createdAt: Date;
  readonly id: string;
}

/** An opaque cursor for the page after `position`. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ t: position.createdAt.getTime(), i: position.id })).toString('base64url');
}

/** The position a cursor holds, or null when it is not one of ours. */
export function decodeCursor(cursor: string): Position | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (typeof value.t !== 'number' || !Number.isSafeInteger(value.t) || typeof value.i !== 'string') return null;
    if (!/^[0-9a-f]{24}$/.test(value.i)) return null;
    const createdAt = new Date(value.t);
    return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id: value.i };
  } catch {
    return null;
  }
}
