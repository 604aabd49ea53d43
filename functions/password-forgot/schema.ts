import { contract } from '#core/http/contract.ts';
import { EXAMPLE, email } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

/** Any well-formed address gets the same answer: whether an account uses it is never told. */
export const schema = contract({
  request: { body: z.strictObject({ email }) },
  success: {
    status: 202,
    description:
      'Accepted: an email is on its way to the address, with a reset link when an account uses it (the answer is the same either way).',
    body: z.strictObject({ message: z.string() }),
  },
  errors: [400, 413, 415, 429, 503],
  errorDescriptions: { 429: 'Too many resets asked for this address or from this source (too_many_attempts); see Retry-After.' },
  example: { body: { email: EXAMPLE.email } },
});
