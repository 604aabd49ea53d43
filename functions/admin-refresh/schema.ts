import { contract } from '#core/http/contract.ts';
import { Tokens } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ refresh_token: z.string().check(z.minLength(20), z.maxLength(200)) }) },
  success: { status: 200, description: 'New tokens; the refresh token presented is spent.', body: Tokens },
  errors: [400, 401, 413, 415, 503],
  example: { body: { refresh_token: 'the refresh_token from /admin/login' } },
});
