import { describe, expect, it } from 'vitest';
import { TokenGuard } from '#core/auth/guard.ts';
import type { TokenVerifier, VerifiedToken } from '#core/auth/tokens.ts';
import { UnavailableError } from '#core/errors.ts';

/**
 * The authorizer's rule when the revocation look-up cannot complete in time: decide from what the
 * container last knew about the token; accept a valid token it knows nothing against.
 */

const claims: VerifiedToken = {
  userId: 'admin-1',
  orgId: 'org-1',
  sessionId: 'session-1',
  tokenId: 'token-1',
  tokenVersion: 2,
  expiresAt: 2_000_000_000,
};

const verifier: TokenVerifier = { verify: async () => claims };

/** A database whose answers the test sets, and which can go away. */
function database() {
  const state = {
    version: 2 as number | null,
    role: 'owner' as string | null,
    revoked: [] as string[],
    status: 'active' as string | null,
    down: false as false | 'refusing' | 'silent',
  };
  const answer = <T>(value: () => T): Promise<T> => {
    if (state.down === 'refusing') return Promise.reject(new UnavailableError());
    if (state.down === 'silent') return new Promise<T>(() => {});
    return Promise.resolve(value());
  };
  return {
    state,
    users: {
      findById: (id: string) => answer(() => (state.version === null ? null : ({ id, tokenVersion: state.version } as never))),
    },
    memberships: {
      find: (orgId: string, userId: string) =>
        answer(() => (state.role === null ? null : ({ orgId, userId, role: state.role } as never))),
    },
    roles: { find: () => answer(() => null) },
    revocations: { revoke: async () => {}, revoked: () => answer(() => state.revoked) },
    orgs: { findById: (id: string) => answer(() => (state.status === null ? null : ({ id, status: state.status } as never))) },
  };
}

function guardOver(db: ReturnType<typeof database>, lookupBudgetMs = 100) {
  return new TokenGuard({
    verifier,
    users: db.users,
    memberships: db.memberships,
    roles: db.roles,
    revocations: db.revocations,
    orgs: db.orgs,
    cacheMs: 0,
    lookupBudgetMs,
  });
}

describe('Class: TokenGuard, when the database cannot answer', () => {
  it('accepts a valid token it knows nothing against, within its look-up budget', async () => {
    const db = database();
    db.state.down = 'silent';
    const guard = guardOver(db, 100);
    const started = performance.now();

    await expect(guard.check('token')).resolves.toMatchObject({ userId: 'admin-1', orgId: 'org-1' });

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('gives a caller whose role it never learnt no permission and marks the membership unverified', async () => {
    const db = database();
    db.state.down = 'refusing';

    await expect(guardOver(db).check('token')).resolves.toMatchObject({ role: '', permissions: [], membership: 'unverified' });
  });

  it('keeps the role it last saw for a member, and refuses one it last saw removed', async () => {
    const db = database();
    const guard = guardOver(db);
    db.state.role = 'member';
    await guard.check('token');
    db.state.down = 'refusing';
    await expect(guard.check('token')).resolves.toMatchObject({
      role: 'member',
      permissions: ['members:read', 'records:read', 'records:write'],
    });

    const other = database();
    const removedGuard = guardOver(other);
    other.state.role = null;
    await expect(removedGuard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
    other.state.down = 'silent';
    await expect(removedGuard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
  });

  it('accepts a token it last saw valid, on a refused look-up at once', async () => {
    const db = database();
    const guard = guardOver(db);
    await guard.check('token');
    db.state.down = 'refusing';

    await expect(guard.check('token')).resolves.toMatchObject({ tokenId: 'token-1' });
  });

  it('refuses a token it last saw revoked', async () => {
    const db = database();
    const guard = guardOver(db);
    db.state.revoked = ['jti:token-1'];
    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
    db.state.down = 'silent';

    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
  });

  it('refuses a token older than the admin token version it last saw', async () => {
    const db = database();
    const guard = guardOver(db);
    db.state.version = 3; // logged out everywhere
    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
    db.state.down = 'refusing';

    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
  });

  it('refuses a token whose admin it last saw gone', async () => {
    const db = database();
    const guard = guardOver(db);
    db.state.version = null;
    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
    db.state.down = 'silent';

    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
  });

  it('does not take a failure that is not an outage for one', async () => {
    const db = database();
    const guard = new TokenGuard({
      verifier,
      users: { findById: () => Promise.reject(new TypeError('bug')) },
      memberships: db.memberships,
      roles: db.roles,
      revocations: db.revocations,
      orgs: db.orgs,
      cacheMs: 0,
    });

    await expect(guard.check('token')).rejects.toThrow(TypeError);
  });

  it('marks a token of an archived organization, and refuses one of a purged organization, from what it knew', async () => {
    const db = database();
    const guard = guardOver(db);
    db.state.status = 'archived';
    await expect(guard.check('token')).resolves.toMatchObject({ organization: 'archived' });
    db.state.down = 'silent';
    await expect(guard.check('token')).resolves.toMatchObject({ organization: 'archived' });

    db.state.down = false;
    db.state.status = null;
    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
    db.state.down = 'silent';
    await expect(guard.check('token')).rejects.toMatchObject({ code: 'token_revoked' });
  });
});
