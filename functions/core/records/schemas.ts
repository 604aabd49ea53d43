import * as z from '../zod.ts';
import {
  dataIssues,
  decodeCursor,
  FIELD_NAME_PATTERN,
  fieldNameProblem,
  MAX_FIELD_NAME_CHARS,
  MAX_RECORD_BYTES,
  MAX_RECORD_DEPTH,
  type RecordData,
} from './model.ts';

/**
 * The records routes' request and response shapes, shared by their functions' schema files. The
 * rules are checked in code (`model.ts`), where a message can point at the offending field; the
 * `z.meta()` of each schema states the same rules as JSON Schema for the API document, so generated
 * clients and schema-driven tests send what the service accepts.
 */

const issueFrom = (problem: string | undefined, ctx: z.core.$RefinementCtx<string>) => {
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

/** A field name, at any depth of a record (rules: {@link fieldNameProblem}). */
export const FieldName = z.string().check(
  z.superRefine((name, ctx) => issueFrom(fieldNameProblem(name), ctx)),
  z.meta({
    id: 'FieldName',
    minLength: 1,
    maxLength: MAX_FIELD_NAME_CHARS,
    pattern: FIELD_NAME_PATTERN,
    description: `1 to ${MAX_FIELD_NAME_CHARS} characters; not starting with "$", without "." or U+0000, not "__proto__".`,
  }),
);

/** Any JSON value whose field names, at any depth, are {@link FieldName}s (checked by `dataIssues`). */
const RecordValue = z.unknown().check(
  z.meta({
    id: 'RecordValue',
    description: `Any JSON value; objects at any depth have FieldName names; at most ${MAX_RECORD_DEPTH} levels deep.`,
    propertyNames: { $ref: '#/$defs/FieldName' },
    additionalProperties: { $ref: '#/$defs/RecordValue' },
    items: { $ref: '#/$defs/RecordValue' },
  }),
);

const isObject = (value: unknown): value is RecordData => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An issue raised by a preprocessing step (`z.transform` ahead of a schema), where zod/mini gives no
 * `addIssue`; it is the issue classic zod's `z.preprocess` raised through `ctx.addIssue`.
 */
function addIssue(ctx: z.core.ParsePayload, path: PropertyKey[], message: string): void {
  ctx.issues.push({ code: 'custom', path, message, input: ctx.value });
}

/**
 * A record's data, or a merge patch of one: a JSON object every field name, string and number of
 * which the database stores and gives back exactly. The whole tree is checked before zod copies it,
 * so no field (not even `__proto__`) can be dropped on the way.
 */
export const recordData = z
  .pipe(
    z.transform((value: unknown, ctx) => {
      if (isObject(value)) {
        for (const issue of dataIssues(value)) addIssue(ctx, [...issue.path], issue.message);
      }
      return value;
    }),
    z.record(FieldName, RecordValue),
  )
  .check(
    z.meta({
      id: 'RecordData',
      description: `A JSON object of at most ${MAX_RECORD_BYTES / 1024} KB. Numbers must be exact as IEEE 754 doubles (integers up to 2^53); strings must be Unicode text (no lone surrogates); a name appears once per object.`,
    }),
  );

/** `{id}` in the path: a record id (24 hex digits). */
export const RecordIdParams = z.strictObject({
  id: z.pipe(
    z.string().check(z.regex(/^[0-9a-fA-F]{24}$/, 'must be a record id (24 hexadecimal digits)')),
    z.transform((id: string) => id.toLowerCase()),
  ),
});

export const MAX_FILTERS = 10;
export const MAX_FILTER_VALUE_CHARS = 1024;

/** `filter[<name>]`: the name between the brackets holds no bracket itself. */
const FILTER_PARAM = /^filter\[([^[\]]*)\]$/;

const filterNameProblem = (name: string) =>
  /[[\]]/.test(name) ? 'filter field names must not contain "[" or "]"' : fieldNameProblem(name);
const filterValueProblem = (value: string) =>
  [...value].length > MAX_FILTER_VALUE_CHARS ? `must be at most ${MAX_FILTER_VALUE_CHARS} characters` : undefined;

/** The name in `filter[<name>]`: a {@link FieldName} without brackets. */
const FilterName = z.string().check(
  z.superRefine((name, ctx) => issueFrom(filterNameProblem(name), ctx)),
  z.meta({
    minLength: 1,
    maxLength: MAX_FIELD_NAME_CHARS,
    pattern: FIELD_NAME_PATTERN.replace('[^.', '[^.\\[\\]'),
    description: 'A top-level field name (the FieldName rules, and no "[" or "]").',
  }),
);

const FilterValue = z.string().check(
  z.superRefine((value, ctx) => issueFrom(filterValueProblem(value), ctx)),
  z.meta({ maxLength: MAX_FILTER_VALUE_CHARS }),
);

/**
 * `filter[<field>]=<value>` parameters (OpenAPI `deepObject` style) gathered into `filter`. Their
 * problems are reported here, each pointing at the parameter as sent (`/filter[a.b]`), and the
 * objects are built without a prototype, so that no name is lost before it is checked.
 */
function gatherFilters(query: unknown, ctx: z.core.ParsePayload): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const out: Record<string, unknown> = Object.create(null);
  const filter: Record<string, unknown> = Object.create(null);
  let count = 0;
  for (const [key, value] of Object.entries(query)) {
    const name = FILTER_PARAM.exec(key)?.[1];
    if (name === undefined) {
      out[key] = value;
      continue;
    }
    count += 1;
    const problem = filterNameProblem(name) ?? (typeof value === 'string' ? filterValueProblem(value) : undefined);
    if (problem) addIssue(ctx, [key], problem);
    filter[name] = value;
  }
  if (count > MAX_FILTERS) addIssue(ctx, ['filter'], `at most ${MAX_FILTERS} filters`);
  if (count > 0) out.filter = filter;
  return out;
}

const LIMIT = 'must be a whole number from 1 to 100';

/** The form of every cursor (base64url, at most 200 characters); `decodeCursor` refuses anything else. */
export const CURSOR_PATTERN = '^[A-Za-z0-9_-]{1,200}$';

export const ListRecordsQuery = z.pipe(
  z.transform(gatherFilters),
  z.strictObject({
    limit: z
      ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 20)
      .check(z.describe('Records per page, 1 to 100')),
    cursor: z
      .optional(
        z.string().check(
          z.refine((cursor) => decodeCursor(cursor) !== null, 'is not a cursor this API issued'),
          z.meta({ pattern: CURSOR_PATTERN }),
        ),
      )
      .check(z.describe("The previous page's next_cursor (opaque: only a cursor this API issued is accepted)")),
    filter: z._default(z.record(FilterName, FilterValue), {}).check(
      z.meta({
        maxProperties: MAX_FILTERS,
        description: `filter[<top-level field>]=<value>: records whose field equals the value, or the number, boolean or null it spells. At most ${MAX_FILTERS}, combined with AND.`,
      }),
    ),
  }),
);

/** What the records routes' error statuses mean, for their contracts' `errorDescriptions`. */
export const RECORD_ERRORS = {
  body400:
    'The body is not a JSON object this API can keep exactly (`validation_failed`, each place as a JSON Pointer in `errors`; `malformed_json`; `body_required`), or holds a value the database cannot store (`unsupported_value`), or the id is not one.',
  id400: 'The id is not a record id (24 hexadecimal digits).',
  query400:
    'A query parameter is unknown, repeated or invalid (`validation_failed`, each parameter as a JSON Pointer in `errors`), or the query string is not percent-encoded UTF-8 (`malformed_query`).',
  record404:
    'No record has this id in your organization (`record_not_found`), or your organization is gone (`organization_not_found`).',
  org404: 'Your organization is gone (`organization_not_found`).',
  busy409: 'The record kept changing while the merge was applied (`record_busy`); retry.',
  size413: 'The body is larger than 64 KB (`payload_too_large`), or the record would be (`record_too_large`).',
  unavailable503:
    "The database is unavailable (`service_unavailable`), or your organization's data is being moved (`organization_migrating`, `write_unconfirmed`); see Retry-After.",
} as const;

export const RecordResponse = z.object({
  id: z.string().check(z.describe('Server-assigned id (24 hexadecimal digits)')),
  data: z.record(z.string(), z.unknown()).check(z.describe('The JSON object stored, exactly as it was accepted')),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const RecordListResponse = z.object({
  records: z.array(RecordResponse).check(z.describe('Newest first')),
  next_cursor: z
    .nullable(z.string().check(z.regex(new RegExp(CURSOR_PATTERN))))
    .check(z.describe('Pass as `cursor` for the next page; null on the last page')),
});
