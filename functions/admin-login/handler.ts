import { logins } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { LoginBody } from './schema.ts';

const service = logins();

/** POST /admin/login: an access token and a refresh token for an organization's admin. */
export const handler = publicEndpoint({
  name: 'admin-login',
  body: LoginBody,
  handle: async ({ body, event }) => {
    const tokens = await (await service()).login(body.email, body.password, event.requestContext.http.sourceIp);
    return { status: 200, body: tokenResponse(tokens) };
  },
});
