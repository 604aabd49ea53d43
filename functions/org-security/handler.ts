import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** PUT /org/security: the active organization's security policy (owners). */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-security',
    contract: schema,
    handle: async ({ body, caller }) => {
      const org = await (await service()).setSecurityPolicy(caller, { requireTwoFactor: body.require_two_factor });
      return { organization_id: org.id, require_two_factor: org.requireTwoFactor === true };
    },
  });
}

export const handler = createHandler(organizations(), admission());
