import type { PasswordResetService } from '#core/account/password-reset.ts';
import { admission, passwordResets } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** PUT /me/password: changes the caller's password, given the current one; ends every session. */
export function createHandler(service: () => Promise<PasswordResetService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-password',
    contract: schema,
    handle: async ({ body, caller, event }) => {
      await (await service()).change(caller.userId, body.current_password, body.new_password, event.requestContext.http.sourceIp);
    },
  });
}

export const handler = createHandler(passwordResets(), admission());
