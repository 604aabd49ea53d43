import type { SessionTokens } from './sessions.ts';

/** The body login and refresh answer with. */
export function tokenResponse(tokens: SessionTokens) {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer' as const,
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    refresh_expires_in: tokens.refreshExpiresIn,
    organization_id: tokens.org.id,
    organization_name: tokens.org.name,
  };
}
