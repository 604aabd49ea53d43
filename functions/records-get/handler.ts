import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { schema } from './schema.ts';

const service = records();

/** GET /org/records/{id}: one of the caller's organization's records. */
export const handler = jwtEndpoint({
  name: 'records-get',
  contract: schema,
  handle: async ({ params, caller }) => toPublicRecord(await (await service()).get(caller, params.id)),
});
