import { admission, members } from '#core/app.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toRole } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** POST /org/roles: creates a custom role from the permission list. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'roles-create',
    contract: schema,
    handle: async ({ body, caller }) => {
      const role = await (await service()).createRole(caller, {
        name: body.name,
        permissions: body.permissions,
        ...(body.description !== undefined ? { description: body.description } : {}),
      });
      return withHeaders(toRole(role), { location: `/org/roles/${role.name}` });
    },
  });
}

export const handler = createHandler(members(), admission());
