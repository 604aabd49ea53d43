import { logins } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

const service = logins();

/** POST /admin/login: an access token and a refresh token for an organization's admin. */
export const handler = publicEndpoint({
  name: 'admin-login',
  contract: schema,
  handle: async ({ body, event }) =>
    tokenResponse(await (await service()).login(body.email, body.password, event.requestContext.http.sourceIp)),
});
