import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { pointAtUnsupported, toPublicRecord } from '#core/records/model.ts';
import { schema } from './schema.ts';

const service = records();

/** PUT /org/records/{id}: replaces a record's data. */
export const handler = jwtEndpoint({
  name: 'records-replace',
  contract: schema,
  handle: async ({ params, body, caller }) =>
    toPublicRecord(await (await service()).replace(caller, params.id, body).catch(pointAtUnsupported(body))),
});
