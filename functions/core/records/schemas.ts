import { z } from 'zod';
import { badFieldName, dataIssues, decodeCursor } from './model.ts';

/** The records routes' request and response shapes, shared by their functions' schema files. */

/** A record's data: a JSON object whose field names (at any depth) the database can store and query. */
export const recordData = z
  .record(z.string(), z.unknown())
  .superRefine((data, ctx) => {
    for (const issue of dataIssues(data)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
  })
  .describe('A JSON object; field names must not start with "$" or contain "."');

/** `{id}` in the path: a record id (24 hex digits). */
export const RecordIdParams = z.strictObject({
  id: z
    .string()
    .regex(/^[0-9a-fA-F]{24}$/, 'must be a record id (24 hexadecimal digits)')
    .transform((id) => id.toLowerCase()),
});

const MAX_FILTERS = 10;

/** `filter[<field>]=<value>` (OpenAPI `deepObject` style) gathered into `filter`. */
function gatherFilters(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  const out: Record<string, unknown> = {};
  const filter: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    const match = /^filter\[([^[\]]*)\]$/.exec(key);
    if (match) filter[match[1] ?? ''] = value;
    else out[key] = value;
  }
  return Object.keys(filter).length > 0 ? { ...out, filter } : out;
}

export const ListRecordsQuery = z.preprocess(
  gatherFilters,
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20).describe('Records per page, 1 to 100'),
    cursor: z
      .string()
      .refine((cursor) => decodeCursor(cursor) !== null, 'is not a cursor this API issued')
      .optional()
      .describe("The previous page's next_cursor"),
    filter: z
      .record(
        z
          .string()
          .min(1)
          .max(128)
          .refine((field) => badFieldName(field) === undefined, 'must not start with "$" or contain "."'),
        z.string().max(1024),
      )
      .refine((filter) => Object.keys(filter).length <= MAX_FILTERS, `at most ${MAX_FILTERS} filters`)
      .default({})
      .describe(
        'filter[<top-level field>]=<value>: records whose field equals the value (or the number, boolean or null it spells)',
      ),
  }),
);

export const RecordResponse = z.object({
  id: z.string().describe('Server-assigned id (24 hexadecimal digits)'),
  data: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

export const RecordListResponse = z.object({
  records: z.array(RecordResponse).describe('Newest first'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});
