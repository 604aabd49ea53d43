import { currentPassword } from '#core/account/schemas.ts';
import { newPassword } from '#core/auth/passwords.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ current_password: currentPassword, new_password: newPassword }) },
  success: { status: 204, description: 'The password is changed; every session of the account has ended, this one too.' },
  errors: [400, 401, 403, 409, 413, 415, 429, 503],
  errorDescriptions: {
    403: 'The current password is not yours (wrong_password); it counts toward the login lockout.',
    409: 'Another change of the password won the race (password_changed).',
  },
  example: { body: { current_password: EXAMPLE.password, new_password: 'a new long secret' } },
});
