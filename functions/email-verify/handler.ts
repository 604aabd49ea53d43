import type { EmailVerificationService } from '#core/account/email-verification.ts';
import { emailStatusBody } from '#core/account/responses.ts';
import { emailVerifications } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /email/verify: follows a verification link (sign-up or a change of address). */
export function createHandler(service: () => Promise<EmailVerificationService>) {
  return publicEndpoint({
    name: 'email-verify',
    contract: schema,
    handle: async ({ body }) => emailStatusBody(await (await service()).verify(body.token)),
  });
}

export const handler = createHandler(emailVerifications());
