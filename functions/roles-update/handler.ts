import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toRole } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** PUT /org/roles/{name}: replaces a custom role's permissions (and description). */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'roles-update',
    contract: schema,
    handle: async ({ params, body, caller }) =>
      toRole(
        await (await service()).updateRole(caller, params.name, {
          permissions: body.permissions,
          ...(body.description !== undefined ? { description: body.description } : {}),
        }),
      ),
  });
}

export const handler = createHandler(members(), admission());
