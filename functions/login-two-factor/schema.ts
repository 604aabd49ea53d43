import { oneTimeSecret, secondFactorCode } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import { Tokens } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: {
    body: z.strictObject({
      challenge: oneTimeSecret.check(z.meta({ description: "Login's `challenge`." })),
      code: secondFactorCode,
    }),
  },
  success: { status: 200, description: 'The login is complete: tokens, as login answers.', body: Tokens },
  errors: [400, 401, 413, 415, 429, 503],
  errorDescriptions: {
    401: 'The challenge is unknown, expired or used (challenge_invalid), or the code is wrong or used already (invalid_code, counted toward the lockout).',
  },
  example: { body: { challenge: 'x9bXQ0n0d5c8bq1Y6Yd3dXl7R9mQe4y6Zr5oPp2sT1U', code: '123456' } },
});
