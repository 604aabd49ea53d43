import { logins } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { LoginBody } from './schema.ts';

const service = logins();

/** POST /admin/login: an access token for an organization's admin. */
export const handler = publicEndpoint({
  name: 'admin-login',
  body: LoginBody,
  handle: async ({ body }) => {
    const result = await (await service()).login(body.email, body.password);
    return {
      status: 200,
      body: {
        access_token: result.token,
        token_type: 'Bearer',
        expires_in: result.expiresIn,
        organization_id: result.org.id,
        organization_name: result.org.name,
      },
    };
  },
});
