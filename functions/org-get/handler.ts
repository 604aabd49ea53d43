import { organizations } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { toPublic } from '#core/orgs/model.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** GET /org/get?organization_name=: an organization's public metadata. */
export function createHandler(service: () => Promise<OrganizationService>) {
  return publicEndpoint({
    name: 'org-get',
    contract: schema,
    handle: async ({ query }) => toPublic(await (await service()).get(query.organization_name)),
  });
}

export const handler = createHandler(organizations());
