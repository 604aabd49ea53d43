import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toMember } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** POST /org/transfer-ownership: makes another member owner and the caller an admin. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-transfer',
    contract: schema,
    handle: async ({ body, caller }) => toMember(await (await service()).transferOwnership(caller, body.user_id)),
  });
}

export const handler = createHandler(members(), admission());
