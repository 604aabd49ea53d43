import type { EmailVerificationService } from '#core/account/email-verification.ts';
import { emailStatusBody } from '#core/account/responses.ts';
import { admission, emailVerifications } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/email/verification: sends the caller a new verification link. */
export function createHandler(service: () => Promise<EmailVerificationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-email-verification',
    contract: schema,
    handle: async ({ caller, event }) =>
      emailStatusBody(await (await service()).resend(caller.userId, event.requestContext.http.sourceIp)),
  });
}

export const handler = createHandler(emailVerifications(), admission());
