import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** DELETE /org/members/{user_id}: removes a member from the caller's organization. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'members-remove',
    contract: schema,
    handle: async ({ params, caller }) => {
      await (await service()).remove(caller, params.user_id);
    },
  });
}

export const handler = createHandler(members(), admission());
