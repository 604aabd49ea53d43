import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { PatchRecordBody, PatchRecordParams } from './schema.ts';

const service = records();

/** PATCH /org/records/{id}: merges top-level fields into a record's data. */
export const handler = jwtEndpoint({
  name: 'records-patch',
  params: PatchRecordParams,
  body: PatchRecordBody,
  handle: async ({ params, body, caller }) => ({
    status: 200,
    body: toPublicRecord(await (await service()).patch(caller, params.id, body)),
  }),
});
