import { admission, members } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { MembersService } from '#core/members/service.ts';
import { schema } from './schema.ts';

/** POST /org/leave: the caller leaves the organization their token is for. */
export function createHandler(service: () => Promise<MembersService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'org-leave',
    contract: schema,
    handle: async ({ caller }) => {
      await (await service()).leave(caller);
    },
  });
}

export const handler = createHandler(members(), admission());
