import type { PasswordResetService } from '#core/account/password-reset.ts';
import { passwordResets } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /password/reset: sets a new password with a reset link's secret; signs the user out everywhere. */
export function createHandler(service: () => Promise<PasswordResetService>) {
  return publicEndpoint({
    name: 'password-reset',
    contract: schema,
    handle: async ({ body }) => {
      await (await service()).confirm(body.token, body.password);
    },
  });
}

export const handler = createHandler(passwordResets());
