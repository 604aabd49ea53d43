import { admission, invitations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toInvitationList } from '#core/invitations/schemas.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** GET /org/invitations: the caller's organization's invitations, newest first, a page at a time. */
export function createHandler(service: () => Promise<InvitationsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'invitations-list',
    contract: schema,
    handle: async ({ query, caller }) =>
      toInvitationList(
        await (await service()).list(caller, query.limit, {
          ...(query.cursor ? { after: query.cursor } : {}),
          ...(query.status ? { status: query.status } : {}),
        }),
      ),
  });
}

export const handler = createHandler(invitations(), admission());
