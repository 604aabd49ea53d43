import { contract } from '#core/http/contract.ts';
import { EXAMPLE, email, organizationName, PublicOrganization, password } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

/** What an update may change; it names at least one. */
const CHANGES = ['new_organization_name', 'email', 'password'] as const;

export const schema = contract({
  request: {
    body: z
      .strictObject({
        organization_name: organizationName.check(z.meta({ description: 'The current name.' })),
        new_organization_name: z.optional(organizationName),
        email: z.optional(email),
        password: z.optional(password),
      })
      .check(
        z.refine((body) => CHANGES.some((field) => body[field] !== undefined), {
          message: 'give at least one of new_organization_name, email or password',
        }),
        // The same rule in the document, where a refinement does not show.
        z.meta({ anyOf: CHANGES.map((field) => ({ required: [field] })) }),
      ),
  },
  success: { status: 200, description: 'The updated metadata.', body: PublicOrganization },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  example: { body: { organization_name: EXAMPLE.name, new_organization_name: EXAMPLE.renamed } },
});
