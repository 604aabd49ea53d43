import { currentPassword, EmailStatus } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE, email } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ email, password: currentPassword }) },
  success: {
    status: 202,
    description:
      'The new address is pending: it gets a link, the current address a notice; the account moves when the link is followed.',
    body: EmailStatus,
  },
  errors: [400, 401, 403, 409, 413, 415, 429, 503],
  errorDescriptions: {
    403: 'The password is not yours (wrong_password); it counts toward the login lockout.',
    409: 'That is your address already (same_email), or another account uses it (email_taken).',
  },
  example: { body: { email: 'new.admin@acme.example', password: EXAMPLE.password } },
});
