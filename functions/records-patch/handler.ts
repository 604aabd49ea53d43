import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { pointAtUnsupported, toPublicRecord } from '#core/records/model.ts';
import { schema } from './schema.ts';

const service = records();

/** PATCH /org/records/{id}: merges top-level fields into a record's data. */
export const handler = jwtEndpoint({
  name: 'records-patch',
  contract: schema,
  handle: async ({ params, body, caller }) =>
    toPublicRecord(await (await service()).patch(caller, params.id, body).catch(pointAtUnsupported(body))),
});
