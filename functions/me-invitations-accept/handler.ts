import { invitations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toJoined } from '#core/invitations/schemas.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import { schema } from './schema.ts';

/** POST /me/invitations/accept: the logged-in caller accepts an invitation sent to their email. */
export function createHandler(service: () => Promise<InvitationsService>) {
  return jwtEndpoint({
    name: 'me-invitations-accept',
    contract: schema,
    handle: async ({ body, caller }) => toJoined(await (await service()).acceptAsUser(caller, body.token)),
  });
}

export const handler = createHandler(invitations());
