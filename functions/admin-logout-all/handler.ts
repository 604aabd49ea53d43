import { admission, logouts } from '#core/app.ts';
import type { SessionService } from '#core/auth/sessions.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /admin/logout-all: every access and refresh token the caller holds stops working. */
export function createHandler(service: () => Promise<SessionService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'admin-logout-all',
    contract: schema,
    handle: async ({ caller }) => {
      await (await service()).logoutEverywhere(caller);
    },
  });
}

export const handler = createHandler(logouts(), admission());
