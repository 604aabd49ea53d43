import { EmailStatus } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';

export const schema = contract({
  request: {},
  success: {
    status: 202,
    description: 'A new verification link is on its way (to the pending address while a change waits).',
    body: EmailStatus,
  },
  errors: [401, 409, 429, 503],
  errorDescriptions: { 409: 'The address is verified and no change waits (email_verified).' },
  example: {},
});
