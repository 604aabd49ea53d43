import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toMember } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** PUT /org/members/{user_id}: gives a member another role. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'members-update',
    contract: schema,
    handle: async ({ params, body, caller }) => toMember(await (await service()).changeRole(caller, params.user_id, body.role)),
  });
}

export const handler = createHandler(members(), admission());
