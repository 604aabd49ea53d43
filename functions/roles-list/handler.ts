import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toRole } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** GET /org/roles: every role a member of the caller's organization can hold, with its permissions. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'roles-list',
    contract: schema,
    handle: async ({ caller }) => ({ roles: (await (await service()).listRoles(caller)).map(toRole) }),
  });
}

export const handler = createHandler(members(), admission());
