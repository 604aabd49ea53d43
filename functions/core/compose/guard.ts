import { TokenGuard } from '../auth/guard.ts';
import { createTokenVerifier } from '../auth/tokens.ts';
import { once } from '../cache.ts';
import { guardConfig, verifierConfig } from '../config.ts';
import { mongoAdminStore } from '../mongo/admin-store.ts';
import { mongoMembershipStore } from '../mongo/membership-store.ts';
import { mongoOrganizationStore } from '../mongo/organization-store.ts';
import { mongoRevocationStore } from '../mongo/revocation-store.ts';
import { mongoRoleStore } from '../mongo/role-store.ts';
import { database } from './database.ts';
import { keyMaterial } from './keys.ts';

/**
 * Token verification with revocation, for the authorizer. It loads what that needs and nothing else
 * (no password hashing, no request schemas, no organization use cases), since the authorizer's cold
 * start sits in front of every protected route.
 */
export function tokenGuard(): () => Promise<TokenGuard> {
  const config = verifierConfig();
  const { revocationCacheMs, keyMaxAgeMs } = guardConfig();
  const verifier = createTokenVerifier({ ...config, publicKeys: keyMaterial(config.publicKeys, keyMaxAgeMs), keyMaxAgeMs });
  const db = database({ requireSetUp: false }); // see database(): no unique index behind revocation look-ups
  return once(async () => {
    const { master } = await db();
    return new TokenGuard({
      verifier,
      users: mongoAdminStore(master),
      memberships: mongoMembershipStore(master),
      roles: mongoRoleStore(master),
      orgs: mongoOrganizationStore(master),
      revocations: mongoRevocationStore(master),
      cacheMs: revocationCacheMs,
    });
  });
}
