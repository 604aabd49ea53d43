import { admission, records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { RecordsService } from '#core/records/service.ts';
import { schema } from './schema.ts';

/** DELETE /org/records/{id}: removes one of the caller's organization's records. */
export function createHandler(service: () => Promise<RecordsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'records-delete',
    contract: schema,
    handle: async ({ params, caller }) => {
      await (await service()).remove(caller, params.id);
    },
  });
}

export const handler = createHandler(records(), admission());
