import { admission, records } from '#core/app.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { pointAtUnsupported, toPublicRecord } from '#core/records/model.ts';
import type { RecordsService } from '#core/records/service.ts';
import { schema } from './schema.ts';

/** POST /org/records: a new record in the caller's organization. */
export function createHandler(service: () => Promise<RecordsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'records-create',
    contract: schema,
    handle: async ({ body, caller }) => {
      const record = await (await service()).create(caller, body).catch(pointAtUnsupported(body));
      return withHeaders(toPublicRecord(record), { location: `/org/records/${record.id}` });
    },
  });
}

export const handler = createHandler(records(), admission());
