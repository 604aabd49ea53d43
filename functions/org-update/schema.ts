import { z } from 'zod';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE, email, organizationName, PublicOrganization, password } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: {
    body: z
      .strictObject({
        organization_name: organizationName.meta({ description: 'The current name.' }),
        new_organization_name: organizationName.optional(),
        email: email.optional(),
        password: password.optional(),
      })
      .refine((body) => body.new_organization_name !== undefined || body.email !== undefined || body.password !== undefined, {
        message: 'give at least one of new_organization_name, email or password',
      }),
  },
  success: { status: 200, description: 'The updated metadata.', body: PublicOrganization },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  example: { body: { organization_name: EXAMPLE.name, new_organization_name: EXAMPLE.renamed } },
});
