import type { PasswordResetService } from '#core/account/password-reset.ts';
import { passwordResets } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /password/forgot: emails a single-use reset link (or, for an unknown address, a note saying so). */
export function createHandler(service: () => Promise<PasswordResetService>) {
  return publicEndpoint({
    name: 'password-forgot',
    contract: schema,
    handle: async ({ body, event }) => {
      await (await service()).request(body.email, event.requestContext.http.sourceIp);
      return { message: 'If an account uses this address, a reset link is on its way to it.' };
    },
  });
}

export const handler = createHandler(passwordResets());
