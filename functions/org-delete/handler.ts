import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** DELETE /org/delete?organization_name=: the caller's organization, its data and its admins. */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-delete',
    contract: schema,
    handle: async ({ query, caller }) => {
      const org = await (await service()).delete(caller, query.organization_name);
      return { deleted: true as const, organization_name: org.name };
    },
  });
}

export const handler = createHandler(organizations(), admission());
