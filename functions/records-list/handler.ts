import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { schema } from './schema.ts';

const service = records();

/** GET /org/records: the caller's organization's records, newest first, a page at a time. */
export const handler = jwtEndpoint({
  name: 'records-list',
  contract: schema,
  handle: async ({ query, caller }) => {
    const page = await (await service()).list(caller, query);
    return { records: page.records.map(toPublicRecord), next_cursor: page.nextCursor };
  },
});
