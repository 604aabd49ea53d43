import { admission, records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toPublicRecord } from '#core/records/model.ts';
import type { RecordsService } from '#core/records/service.ts';
import { schema } from './schema.ts';

/** GET /org/records: the caller's organization's records, newest first, a page at a time. */
export function createHandler(service: () => Promise<RecordsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'records-list',
    contract: schema,
    handle: async ({ query, caller }) => {
      const page = await (await service()).list(caller, query);
      return { records: page.records.map(toPublicRecord), next_cursor: page.nextCursor };
    },
  });
}

export const handler = createHandler(records(), admission());
