import { invitations } from '#core/app.ts';
import { loginResponse } from '#core/auth/responses.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import type { InvitationsService } from '#core/invitations/service.ts';
import { schema } from './schema.ts';

/** POST /invitations/accept: accepts an invitation with its secret and a password; answers tokens. */
export function createHandler(service: () => Promise<InvitationsService>) {
  return publicEndpoint({
    name: 'invitations-accept',
    contract: schema,
    handle: async ({ body, event }) =>
      loginResponse(await (await service()).acceptWithPassword(body.token, body.password, event.requestContext.http.sourceIp)),
  });
}

export const handler = createHandler(invitations({ passwords: true }));
