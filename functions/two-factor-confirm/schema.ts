import { contract } from '#core/http/contract.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ code: z.string().check(z.regex(/^[0-9]{6}$/)) }) },
  success: {
    status: 200,
    description:
      'Two-factor authentication is on. The recovery codes are shown this once: each stands in for the authenticator once.',
    body: z.strictObject({ recovery_codes: z.array(z.string()) }),
  },
  errors: [400, 401, 403, 409, 413, 415, 429, 503],
  errorDescriptions: {
    403: 'The code is wrong or was used already (invalid_code); it counts toward the login lockout.',
    409: 'No enrolment was begun (two_factor_not_started), or it is on already (two_factor_enabled).',
  },
  example: { body: { code: '123456' } },
});
