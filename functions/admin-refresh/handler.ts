import { sessions } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

const service = sessions();

/** POST /admin/refresh: swaps a refresh token for new tokens; a reused one revokes its session. */
export const handler = publicEndpoint({
  name: 'admin-refresh',
  contract: schema,
  handle: async ({ body }) => tokenResponse(await (await service()).refresh(body.refresh_token)),
});
