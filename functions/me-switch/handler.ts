import { admission, sessions } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import type { SessionService } from '#core/auth/sessions.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/switch: tokens for another of the caller's organizations, without a password. */
export function createHandler(service: () => Promise<SessionService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me-switch',
    contract: schema,
    handle: async ({ body, caller }) => tokenResponse(await (await service()).switchTo(caller, body.organization_id)),
  });
}

export const handler = createHandler(sessions(), admission());
