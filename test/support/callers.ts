import type { Caller } from '#core/auth/tokens.ts';
import { permissionsOf } from '#core/members/permissions.ts';

/**
 * Callers for tests that call a service or a handler directly, without the authorizer. A test
 * caller names the user and the organization, and a role (default `owner`); its permissions are the
 * role's unless given.
 */
export interface TestCaller {
  readonly userId: string;
  readonly orgId: string;
  readonly role?: string;
  /** An array, or the authorizer's space-separated string. */
  readonly permissions?: readonly string[] | string;
  readonly sessionId?: string;
  readonly tokenId?: string;
  readonly expiresAt?: number;
  readonly membership?: string;
  readonly twoFactor?: 'missing';
  readonly mfa?: true;
  readonly organization?: 'archived';
}

/** `caller` as the product's `Caller`. */
export function asCaller(caller: TestCaller): Caller {
  const role = caller.role ?? 'owner';
  const permissions =
    caller.permissions === undefined
      ? permissionsOf(role)
      : typeof caller.permissions === 'string'
        ? caller.permissions.split(' ').filter(Boolean)
        : [...caller.permissions];
  return {
    userId: caller.userId,
    orgId: caller.orgId,
    role,
    permissions,
    ...(caller.sessionId ? { sessionId: caller.sessionId } : {}),
    ...(caller.tokenId ? { tokenId: caller.tokenId } : {}),
    ...(caller.expiresAt ? { expiresAt: caller.expiresAt } : {}),
    ...(caller.membership === 'unverified' ? { membership: 'unverified' as const } : {}),
    ...(caller.twoFactor ? { twoFactor: caller.twoFactor } : {}),
    ...(caller.mfa ? { mfa: true as const } : {}),
    ...(caller.organization ? { organization: caller.organization } : {}),
  };
}

/** `caller` as the authorizer hands it to a route (`requestContext.authorizer.lambda`). */
export function authorizerContextOf(caller: TestCaller): Record<string, string | number> {
  const full = asCaller(caller);
  return {
    userId: full.userId,
    orgId: full.orgId,
    role: full.role,
    permissions: full.permissions.join(' '),
    membership: full.membership ?? '',
    sessionId: full.sessionId ?? '',
    tokenId: full.tokenId ?? '',
    expiresAt: full.expiresAt ?? 0,
    twoFactor: full.twoFactor ?? '',
    mfa: full.mfa ? 'true' : '',
    organization: full.organization ?? '',
  };
}
