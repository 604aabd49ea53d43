import { logins } from '#core/app.ts';
import type { LoginService } from '#core/auth/login.ts';
import { loginResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /admin/login: an access token and a refresh token for a user, in one of their organizations. */
export function createHandler(service: () => Promise<LoginService>) {
  return publicEndpoint({
    name: 'admin-login',
    contract: schema,
    handle: async ({ body, event }) =>
      loginResponse(
        await (await service()).login(body.email, body.password, event.requestContext.http.sourceIp, body.organization_id),
      ),
  });
}

export const handler = createHandler(logins());
