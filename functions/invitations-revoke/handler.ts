import { admission, invitations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** DELETE /org/invitations/{invitation_id}: revokes an invitation of the caller's organization. */
export function createHandler(service: () => Promise<InvitationsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'invitations-revoke',
    contract: schema,
    handle: async ({ params, caller }) => {
      await (await service()).revoke(caller, params.invitation_id);
    },
  });
}

export const handler = createHandler(invitations(), admission());
