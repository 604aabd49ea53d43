import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toMemberList } from '#core/members/schemas.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** GET /org/members: the caller's organization's members, a page at a time. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'members-list',
    contract: schema,
    handle: async ({ query, caller }) => toMemberList(await (await service()).list(caller, query.limit, query.cursor)),
  });
}

export const handler = createHandler(members(), admission());
