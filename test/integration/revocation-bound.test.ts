import { beforeAll, describe, expect, it } from 'vitest';
import { TokenGuard } from '#core/auth/guard.ts';
import { createTokenVerifier } from '#core/auth/tokens.ts';
import { mongoAuthStores } from '#core/mongo/auth-stores.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as logout } from '../../functions/admin-logout/handler.ts';
import { handler as removeMember } from '../../functions/members-remove/handler.ts';
import { handler as updateMember } from '../../functions/members-update/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { createOrganization, logIn } from '../support/auth.ts';
import { testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { addMember, signIn } from '../support/members.ts';

/**
 * A revoked token keeps working in a container for at most the revocation cache time (and, in AWS,
 * API Gateway's authorizer cache TTL in front of it): never longer. The same bound holds for a
 * member's role change and removal, which the authorizer learns by the same cached look-ups.
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
    orgs: mongoOrgStores(testClient(), master, testPlacements()).orgs,
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

  it('gives a member the new role, and ends a removed member’s token, once the cache has expired, not before', async () => {
    const created = await createOrganization('Member Bound', 'owner@member-bound.example', 'bound password');
    const owner = (await signIn({ email: 'owner@member-bound.example', password: 'bound password' })).context;
    const member = await addMember(created.organization_id, 'member@member-bound.example');
    const { access_token: token } = await logIn(member.email, member.password);
    const at = (path: string) => ({ path, params: { user_id: member.userId }, caller: owner });
    await expect(guard.check(token)).resolves.toMatchObject({ role: 'member' }); // cached from here

    const promoted = await invoke(updateMember, {
      method: 'PUT',
      ...at(`/org/members/${member.userId}`),
      body: { role: 'admin' },
    });
    expect(promoted.status).toBe(200);
    clock.t += CACHE_MS - 1;
    await expect(guard.check(token)).resolves.toMatchObject({ role: 'member' });
    clock.t += 2;
    await expect(guard.check(token)).resolves.toMatchObject({
      role: 'admin',
      permissions: expect.arrayContaining(['members:manage']),
    });

    const removed = await invoke(removeMember, { method: 'DELETE', ...at(`/org/members/${member.userId}`) });
    expect(removed.status).toBe(204);
    clock.t += CACHE_MS - 1;
    await expect(guard.check(token)).resolves.toMatchObject({ userId: member.userId });
    clock.t += 2;
    await expect(guard.check(token)).rejects.toMatchObject({ name: 'UnauthorizedError', code: 'token_revoked' });
  });

  it('marks the token of an archived organization once the cache has expired, not before', async () => {
    await createOrganization('Archive Bound', 'owner@archive-bound.example', 'bound password');
    const { access_token: token } = await logIn('owner@archive-bound.example', 'bound password');
    const caller = await guard.check(token); // cached as live from here

    const deleted = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller,
      query: { organization_name: 'Archive Bound' },
    });
    expect(deleted.status).toBe(202);

    clock.t += CACHE_MS - 1;
    expect((await guard.check(token)).organization).toBeUndefined();
    clock.t += 2;
    await expect(guard.check(token)).resolves.toMatchObject({ organization: 'archived' });
  });
});
