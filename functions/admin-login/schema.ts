import { z } from 'zod';

/**
 * Login checks shapes only: a password that breaks today's rules may still be a stored one, and the
 * answer to any wrong credential must be the same 401.
 */
export const LoginBody = z.strictObject({
  email: z.string().trim().min(1).max(254).toLowerCase(),
  password: z.string().min(1).max(1024),
});
