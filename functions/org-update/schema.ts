import { contract } from '#core/http/contract.ts';
import { EXAMPLE, organizationName, PublicOrganization } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

/**
 * A rename. The caller's own email and password change through POST /me/email and PUT /me/password,
 * which ask for the current password (and verify a new address), so a stolen session cannot take
 * the account over.
 */
export const schema = contract({
  request: {
    body: z.strictObject({
      organization_name: organizationName.check(z.meta({ description: 'The current name.' })),
      new_organization_name: organizationName,
    }),
  },
  success: { status: 200, description: 'The updated metadata.', body: PublicOrganization },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  example: { body: { organization_name: EXAMPLE.name, new_organization_name: EXAMPLE.renamed } },
});
