import { currentPassword, secondFactorCode } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ password: currentPassword, code: secondFactorCode }) },
  success: { status: 204, description: 'Two-factor authentication is off; logins need the password only.' },
  errors: [400, 401, 403, 409, 413, 415, 429, 503],
  errorDescriptions: {
    403: 'The password (wrong_password) or the code (invalid_code) is wrong; either counts toward the login lockout.',
    409: 'Two-factor authentication is off already (two_factor_not_enabled).',
  },
  example: { body: { password: EXAMPLE.password, code: '123456' } },
});
