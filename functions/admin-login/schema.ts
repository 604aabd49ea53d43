import { SecondFactorRequired } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE, NOT_BLANK_PATTERN, objectId, Tokens } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

/**
 * Login checks shapes only: a password that breaks today's rules may still be a stored one, and the
 * answer to any wrong credential must be the same 401.
 */
export const schema = contract({
  request: {
    body: z.strictObject({
      email: z
        .string()
        .check(z.trim(), z.minLength(1), z.maxLength(254), z.toLowerCase(), z.meta({ pattern: NOT_BLANK_PATTERN })),
      password: z.string().check(z.minLength(1), z.maxLength(1024)),
      organization_id: z.optional(
        objectId.check(z.meta({ description: 'Sign in to this organization; default: the one you created, else your oldest.' })),
      ),
    }),
  },
  success: {
    status: 200,
    description:
      'An access token (30 minutes) and a refresh token; or, for a user with two-factor authentication on, a challenge to complete at POST /login/two-factor.',
    body: z.union([Tokens, SecondFactorRequired]),
  },
  errors: [400, 401, 403, 413, 415, 429, 503],
  example: { body: { email: EXAMPLE.email, password: EXAMPLE.password } },
});
