import { contract } from '#core/http/contract.ts';
import { CreatedOrganization, EXAMPLE, email, organizationName, password } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ organization_name: organizationName, email, password }) },
  success: {
    status: 201,
    description: 'The organization, its admin and its collection were created.',
    body: CreatedOrganization,
  },
  errors: [400, 409, 413, 415, 503],
  example: { body: { organization_name: EXAMPLE.name, email: EXAMPLE.email, password: EXAMPLE.password } },
});
