import { logouts } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

const service = logouts();

/** POST /admin/logout-all: every access and refresh token the caller holds stops working. */
export const handler = jwtEndpoint({
  name: 'admin-logout-all',
  contract: schema,
  handle: async ({ caller }) => {
    await (await service()).logoutEverywhere(caller);
  },
});
