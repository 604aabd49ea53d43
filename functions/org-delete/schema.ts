import { contract } from '#core/http/contract.ts';
import { DeletedOrganization, EXAMPLE, OrganizationNameQuery } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: { query: OrganizationNameQuery },
  success: { status: 200, description: 'The organization, its data and its admins are gone.', body: DeletedOrganization },
  errors: [400, 401, 403, 404, 409, 503],
  example: { query: { organization_name: EXAMPLE.renamed } },
});
