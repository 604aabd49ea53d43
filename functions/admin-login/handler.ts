import { logins } from '#core/app.ts';
import type { LoginService } from '#core/auth/login.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /admin/login: an access token and a refresh token for an organization's admin. */
export function createHandler(service: () => Promise<LoginService>) {
  return publicEndpoint({
    name: 'admin-login',
    contract: schema,
    handle: async ({ body, event }) =>
      tokenResponse(await (await service()).login(body.email, body.password, event.requestContext.http.sourceIp)),
  });
}

export const handler = createHandler(logins());
