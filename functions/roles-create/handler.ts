import { members } from '#core/app.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import { toRole } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** POST /org/roles: creates a custom role from the permission list. */
export function createHandler(service: () => Promise<MembersService>) {
  return jwtEndpoint({
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

export const handler = createHandler(members());
