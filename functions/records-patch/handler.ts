import { admission, records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { pointAtUnsupported, toPublicRecord } from '#core/records/model.ts';
import type { RecordsService } from '#core/records/service.ts';
import { schema } from './schema.ts';

/** PATCH /org/records/{id}: merges top-level fields into a record's data. */
export function createHandler(service: () => Promise<RecordsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'records-patch',
    contract: schema,
    handle: async ({ params, body, caller }) =>
      toPublicRecord(await (await service()).patch(caller, params.id, body).catch(pointAtUnsupported(body))),
  });
}

export const handler = createHandler(records(), admission());
