import { admission, logouts } from '#core/app.ts';
import type { SessionService } from '#core/auth/sessions.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /admin/logout: revokes the caller's session (refresh tokens) and the access token presented. */
export function createHandler(service: () => Promise<SessionService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'admin-logout',
    contract: schema,
    handle: async ({ caller }) => {
      await (await service()).logout(caller);
    },
  });
}

export const handler = createHandler(logouts(), admission());
