import { sessions } from '#core/app.ts';
import { tokenResponse } from '#core/auth/responses.ts';
import type { SessionService } from '#core/auth/sessions.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { schema } from './schema.ts';

/** POST /admin/refresh: swaps a refresh token for new tokens; a reused one revokes its session. */
export function createHandler(service: () => Promise<SessionService>) {
  return publicEndpoint({
    name: 'admin-refresh',
    contract: schema,
    handle: async ({ body }) => tokenResponse(await (await service()).refresh(body.refresh_token)),
  });
}

export const handler = createHandler(sessions());
