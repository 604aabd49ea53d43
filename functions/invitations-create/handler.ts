import { admission, invitations } from '#core/app.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import { toInvitation } from '#core/invitations/schemas.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /org/invitations: invites an email into the caller's organization; the secret goes out by email. */
export function createHandler(service: () => Promise<InvitationsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'invitations-create',
    contract: schema,
    handle: async ({ body, caller }) => {
      const { invitation } = await (await service()).invite(caller, body.email, body.role);
      return withHeaders(toInvitation({ ...invitation, state: 'pending' }), {
        location: `/org/invitations/${invitation.id}`,
      });
    },
  });
}

export const handler = createHandler(invitations({ mail: true }), admission());
