import { contract } from '#core/http/contract.ts';
import { EXAMPLE, OrganizationNameQuery, PublicOrganization } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: { query: OrganizationNameQuery },
  success: { status: 200, description: "The organization's public metadata.", body: PublicOrganization },
  errors: [400, 404, 503],
  example: { query: { organization_name: EXAMPLE.name } },
});
