import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/**
 * POST /me/organizations/restore: the caller restores an archived organization they own, within its
 * retention window. An account route: it works with a token of any of the caller's organizations,
 * the archived one included (login gives an owner of nothing else such a token).
 */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-organizations-restore',
    contract: schema,
    handle: async ({ body, caller }) => {
      const org = await (await service()).restoreOwned(caller.userId, body.organization_id);
      return { restored: true as const, organization_id: org.id, organization_name: org.name };
    },
  });
}

export const handler = createHandler(organizations(), admission());
