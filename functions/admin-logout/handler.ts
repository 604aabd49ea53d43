import { logouts } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

const service = logouts();

/** POST /admin/logout: revokes the caller's session (refresh tokens) and the access token presented. */
export const handler = jwtEndpoint({
  name: 'admin-logout',
  contract: schema,
  handle: async ({ caller }) => {
    await (await service()).logout(caller);
  },
});
