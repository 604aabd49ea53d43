import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { GetRecordParams } from './schema.ts';

const service = records();

/** GET /org/records/{id}: one of the caller's organization's records. */
export const handler = jwtEndpoint({
  name: 'records-get',
  params: GetRecordParams,
  handle: async ({ params, caller }) => ({
    status: 200,
    body: toPublicRecord(await (await service()).get(caller, params.id)),
  }),
});
