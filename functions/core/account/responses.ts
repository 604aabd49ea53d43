import type { EmailStatus } from './email-verification.ts';

/** The `EmailStatus` body (see `./schemas.ts`). */
export function emailStatusBody(status: EmailStatus) {
  return {
    email: status.email,
    email_verified: status.emailVerified,
    ...(status.pendingEmail ? { pending_email: status.pendingEmail } : {}),
  };
}
