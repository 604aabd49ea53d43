import type { SessionTokens } from './sessions.ts';

/** The body login, refresh and switch answer with (`organizations` from login and switch). */
export function tokenResponse(tokens: SessionTokens) {
  return {
    access_token: tokens.accessToken,
    token_type: 'Bearer' as const,
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    refresh_expires_in: tokens.refreshExpiresIn,
    organization_id: tokens.org.id,
    organization_name: tokens.org.name,
    role: tokens.role,
    ...(tokens.organizations
      ? {
          organizations: tokens.organizations.map(({ org, role }) => ({
            organization_id: org.id,
            organization_name: org.name,
            role,
          })),
        }
      : {}),
  };
}
