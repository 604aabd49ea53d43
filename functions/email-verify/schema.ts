import { EmailStatus, oneTimeSecret } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ token: oneTimeSecret }) },
  success: {
    status: 200,
    description: 'The address is verified; for a change of address, the account now uses the new one.',
    body: EmailStatus,
  },
  errors: [400, 404, 409, 413, 415, 503],
  errorDescriptions: {
    404: 'The link is unknown, expired, used or overtaken by a later change (verification_link_invalid).',
    409: 'Another account took the new address meanwhile (email_taken).',
  },
  example: { body: { token: 'x9bXQ0n0d5c8bq1Y6Yd3dXl7R9mQe4y6Zr5oPp2sT1U' } },
});
