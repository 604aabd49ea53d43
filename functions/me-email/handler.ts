import type { EmailVerificationService } from '#core/account/email-verification.ts';
import { emailStatusBody } from '#core/account/responses.ts';
import { admission, emailVerifications } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/email: asks to move the caller's account to another address (password required). */
export function createHandler(service: () => Promise<EmailVerificationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-email',
    contract: schema,
    handle: async ({ body, caller, event }) =>
      emailStatusBody(
        await (await service()).requestChange(caller.userId, body.email, body.password, event.requestContext.http.sourceIp),
      ),
  });
}

export const handler = createHandler(emailVerifications({ passwords: true }), admission());
