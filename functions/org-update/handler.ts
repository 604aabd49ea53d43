import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { toPublic } from '#core/orgs/model.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** PUT /org/update: renames the caller's organization. */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-update',
    contract: schema,
    handle: async ({ body, caller }) =>
      toPublic(
        await (await service()).update(caller, {
          name: body.organization_name,
          newName: body.new_organization_name,
        }),
      ),
  });
}

export const handler = createHandler(organizations({ label: collectionLabel }), admission());
