import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { LoginService } from '#core/auth/login.ts';
import { createPasswordHasher, passwordTooLong } from '#core/auth/passwords.ts';
import type { SessionTokens } from '#core/auth/sessions.ts';
import type { Admin, Organization } from '#core/orgs/model.ts';
import type { AdminStore, OrganizationStore } from '#core/orgs/stores.ts';

describe('passwordTooLong', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(passwordTooLong('a'.repeat(72))).toBe(false);
    expect(passwordTooLong('a'.repeat(73))).toBe(true);
    expect(passwordTooLong('é'.repeat(36))).toBe(false);
    expect(passwordTooLong('é'.repeat(37))).toBe(true);
  });
});

describe('createPasswordHasher', () => {
  it('hashes at the configured cost and verifies', async () => {
    const hasher = createPasswordHasher(5);

    const hash = await hasher.hash('s3cret password');

    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(await hasher.verify('s3cret password', hash)).toBe(true);
    expect(await hasher.verify('wrong password', hash)).toBe(false);
  });

  it('compares against a dummy of the same cost when there is no hash', async () => {
    const seen: string[] = [];
    const original = bcrypt.compare;
    const hasher = createPasswordHasher(6);
    (bcrypt as { compare: unknown }).compare = (pw: string, hash: string) => {
      seen.push(hash);
      return original(pw, hash);
    };
    try {
      expect(await hasher.verify('anything at all', undefined)).toBe(false);
    } finally {
      (bcrypt as { compare: unknown }).compare = original;
    }
    expect(seen).toHaveLength(1);
    expect(bcrypt.getRounds(seen[0] ?? '')).toBe(6);
  });
});

describe('LoginService', () => {
  const admin: Admin = {
    id: 'a'.repeat(24),
    email: 'known@example.com',
    passwordHash: bcrypt.hashSync('right password', 4),
    orgId: 'b'.repeat(24),
    tokenVersion: 0,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const org = { id: 'b'.repeat(24), name: 'Org', status: 'active' } as Organization;

  /** Records what the login compares, to show both failure paths do the same work. */
  function serviceRecording(verified: (string | undefined)[]) {
    const admins = { findByEmail: async (email: string) => (email === admin.email ? admin : null) } as AdminStore;
    const orgs = { findById: async () => org } as unknown as OrganizationStore;
    const sessions = { start: async () => ({ accessToken: 'token' }) as unknown as SessionTokens };
    const real = createPasswordHasher(4);
    const hasher = {
      hash: real.hash,
      needsRehash: real.needsRehash,
      verify: (pw: string, hash: string | undefined) => {
        verified.push(hash);
        return real.verify(pw, hash);
      },
    };
    return new LoginService({ admins, orgs, hasher, sessions });
  }

  it('does one bcrypt comparison for an unknown email, as for a wrong password', async () => {
    const verified: (string | undefined)[] = [];
    const service = serviceRecording(verified);

    const unknown = await service.login('nobody@example.com', 'right password').catch((e: Error) => e);
    const wrong = await service.login('known@example.com', 'wrong password').catch((e: Error) => e);

    expect(unknown).toEqual(wrong);
    expect(verified).toEqual([undefined, admin.passwordHash]);
    await expect(service.login('known@example.com', 'right password')).resolves.toMatchObject({ accessToken: 'token' });
  });
});
