import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** DELETE /org/roles/{name}: deletes a custom role no member holds. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'roles-delete',
    contract: schema,
    handle: async ({ params, caller }) => {
      await (await service()).deleteRole(caller, params.name);
    },
  });
}

export const handler = createHandler(members(), admission());
