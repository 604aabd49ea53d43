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

/** A field name the database can store and query: no leading `$`, no `.`. */
export function badFieldName(key: string): string | undefined {
  if (key.startsWith('$')) return 'field names must not start with "$"';
  if (key.includes('.')) return 'field names must not contain "."';
  return undefined;
}

export interface DataIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Every field name (at any depth) and nesting the database would refuse or misread. */
export function dataIssues(value: unknown, path: readonly (string | number)[] = []): DataIssue[] {
  if (value === null || typeof value !== 'object') return [];
  if (path.length >= MAX_RECORD_DEPTH) return [{ path, message: `must not nest deeper than ${MAX_RECORD_DEPTH} levels` }];
  if (Array.isArray(value)) return value.flatMap((item, i) => dataIssues(item, [...path, i]));
  return Object.entries(value).flatMap(([key, item]) => {
    const problem = badFieldName(key);
    return [...(problem ? [{ path: [...path, key], message: problem }] : []), ...dataIssues(item, [...path, key])];
  });
}

/** A record's size as the API counts it: its JSON in UTF-8. */
export function recordBytes(data: RecordData): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

/** Merges top-level fields (JSON Merge Patch at the top level): a `null` removes the field. */
export function mergeTopLevel(data: RecordData, patch: RecordData): RecordData {
  const merged: RecordData = { ...data };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
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
