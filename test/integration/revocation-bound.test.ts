import { beforeAll, describe, expect, it } from 'vitest';
import { TokenGuard } from '#core/auth/guard.ts';
import { createTokenVerifier } from '#core/auth/tokens.ts';
import { mongoAuthStores } from '#core/mongo/auth-stores.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as logout } from '../../functions/admin-logout/handler.ts';
import { createOrganization, logIn } from '../support/auth.ts';
import { testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * A revoked token keeps working in a container for at most the revocation cache time (and, in AWS,
 * API Gateway's authorizer cache TTL in front of it): never longer.
 */

useTestDatabase();

const CACHE_MS = 5_000;
const clock = { t: Date.now() };
let guard: TokenGuard;

beforeAll(async () => {
  const master = process.env.MASTER_DB_NAME ?? '';
  guard = new TokenGuard({
    verifier: createTokenVerifier({
      publicKeys: process.env.JWT_PUBLIC_KEYS ?? '',
      issuer: 'orgs-service',
      audience: 'orgs-api',
    }),
    users: mongoOrgStores(testClient(), master, testPlacements()).admins,
    memberships: mongoOrgStores(testClient(), master, testPlacements()).memberships,
    roles: mongoOrgStores(testClient(), master, testPlacements()).roles,
    revocations: mongoAuthStores(testClient().db(master)).revocations,
    cacheMs: CACHE_MS,
    now: () => new Date(clock.t),
  });
});

describe('Revocation bound', () => {
  it('stops a logged-out token once the revocation cache has expired, not before', async () => {
    await createOrganization('Bound Co', 'admin@bound.example', 'bound password');
    const { access_token: token } = await logIn('admin@bound.example', 'bound password');
    const caller = await guard.check(token); // cached as valid from here

    expect((await invoke(logout, { method: 'POST', path: '/admin/logout', caller })).status).toBe(204);

    clock.t += CACHE_MS - 1;
    await expect(guard.check(token)).resolves.toMatchObject({ userId: caller.userId });
    clock.t += 2;
    await expect(guard.check(token)).rejects.toMatchObject({ name: 'UnauthorizedError', code: 'token_revoked' });
  });
});
