import { contract } from '#core/http/contract.ts';
import { DeletedOrganization, EXAMPLE, OrganizationNameQuery } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: { query: OrganizationNameQuery },
  success: {
    status: 202,
    description:
      'The organization is archived: its members lose access at once, its name stays reserved, its data is kept until `purge_after`, when it is purged unless its owner restores it first.',
    body: DeletedOrganization,
  },
  errors: [400, 401, 403, 404, 409, 503],
  example: { query: { organization_name: EXAMPLE.renamed } },
});
