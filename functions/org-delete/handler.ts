import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/**
 * DELETE /org/delete?organization_name=: archives the caller's organization (202: its purge follows
 * once the retention window has passed, unless its owner restores it first).
 */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-delete',
    contract: schema,
    handle: async ({ query, caller }) => {
      const org = await (await service()).delete(caller, query.organization_name);
      // An organization deleted the one-step way before archiving existed is gone already.
      const purgeAfter = org.archive?.purgeAfter ?? org.updatedAt;
      return { archived: true as const, organization_name: org.name, purge_after: purgeAfter.toISOString() };
    },
  });
}

export const handler = createHandler(organizations(), admission());
