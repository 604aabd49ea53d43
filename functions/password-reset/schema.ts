import { oneTimeSecret } from '#core/account/schemas.ts';
import { newPassword } from '#core/auth/passwords.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ token: oneTimeSecret, password: newPassword }) },
  success: { status: 204, description: 'The password is set; every session of the account has ended.' },
  errors: [400, 404, 413, 415, 503],
  errorDescriptions: {
    404: 'The link is unknown, expired, used, or older than the last password change (reset_link_invalid).',
  },
  example: { body: { token: 'x9bXQ0n0d5c8bq1Y6Yd3dXl7R9mQe4y6Zr5oPp2sT1U', password: EXAMPLE.password } },
});
