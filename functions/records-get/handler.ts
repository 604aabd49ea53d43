import { admission, records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toPublicRecord } from '#core/records/model.ts';
import type { RecordsService } from '#core/records/service.ts';
import { schema } from './schema.ts';

/** GET /org/records/{id}: one of the caller's organization's records. */
export function createHandler(service: () => Promise<RecordsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'records-get',
    contract: schema,
    handle: async ({ params, caller }) => toPublicRecord(await (await service()).get(caller, params.id)),
  });
}

export const handler = createHandler(records(), admission());
