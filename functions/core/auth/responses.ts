import type { SecondFactorChallenge } from '../account/two-factor.ts';
import { isChallenge, type LoginResult } from './login.ts';
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
    ...(tokens.archived ? { organization_archived: true as const } : {}),
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

/** The body of a login that needs its second factor: send `challenge` with a code to POST /login/two-factor. */
export function challengeResponse(challenge: SecondFactorChallenge) {
  return {
    two_factor_required: true as const,
    challenge: challenge.challenge,
    challenge_expires_in: challenge.expiresIn,
  };
}

/** Login's body: tokens, or the second factor's challenge. */
export function loginResponse(result: LoginResult) {
  return isChallenge(result) ? challengeResponse(result) : tokenResponse(result);
}
