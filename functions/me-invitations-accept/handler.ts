import { admission, invitations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toJoined } from '#core/invitations/schemas.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/invitations/accept: the logged-in caller accepts an invitation sent to their email. */
export function createHandler(service: () => Promise<InvitationsService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-invitations-accept',
    contract: schema,
    handle: async ({ body, caller }) => toJoined(await (await service()).acceptAsUser(caller, body.token)),
  });
}

export const handler = createHandler(invitations(), admission());
