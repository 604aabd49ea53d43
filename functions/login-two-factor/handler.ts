import type { TwoFactorService } from '#core/account/two-factor.ts';
import { twoFactor } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /login/two-factor: completes a login's challenge with a TOTP code or a recovery code. */
export function createHandler(service: () => Promise<TwoFactorService>) {
  return publicEndpoint({
    name: 'login-two-factor',
    contract: schema,
    handle: async ({ body, event }) =>
      tokenResponse(await (await service()).completeLogin(body.challenge, body.code, event.requestContext.http.sourceIp)),
  });
}

export const handler = createHandler(twoFactor({ signing: true }));
