import { contract } from '#core/http/contract.ts';
import { objectId } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

const SecurityPolicy = z
  .strictObject({
    organization_id: objectId,
    require_two_factor: z.boolean(),
  })
  .check(z.meta({ id: 'SecurityPolicy' }));

export const schema = contract({
  request: {
    body: z.strictObject({
      require_two_factor: z.boolean().check(
        z.meta({
          description:
            'Members act on the organization only in sessions that began with a second factor. Sessions already open follow within the access token lifetime (their next refresh).',
        }),
      ),
    }),
  },
  success: { status: 200, description: 'The policy as it is now.', body: SecurityPolicy },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: {
    409: 'Requiring two-factor authentication from a session without it (two_factor_not_enabled): enrol and log in with it first.',
  },
  example: { body: { require_two_factor: true } },
});
