import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

const service = records();

/** DELETE /org/records/{id}: removes one of the caller's organization's records. */
export const handler = jwtEndpoint({
  name: 'records-delete',
  contract: schema,
  handle: async ({ params, caller }) => {
    await (await service()).remove(caller, params.id);
  },
});
