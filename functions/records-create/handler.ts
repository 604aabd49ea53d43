import { records } from '#core/app.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import { pointAtUnsupported, toPublicRecord } from '#core/records/model.ts';
import { schema } from './schema.ts';

const service = records();

/** POST /org/records: a new record in the caller's organization. */
export const handler = jwtEndpoint({
  name: 'records-create',
  contract: schema,
  handle: async ({ body, caller }) => {
    const record = await (await service()).create(caller, body).catch(pointAtUnsupported(body));
    return withHeaders(toPublicRecord(record), { location: `/org/records/${record.id}` });
  },
});
