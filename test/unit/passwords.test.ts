import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { LoginService } from '#core/auth/login.ts';
import { createPasswordHasher, newPassword, passwordProblem, passwordTooLong, preparePassword } from '#core/auth/passwords.ts';
import type { SessionTokens } from '#core/auth/sessions.ts';
import type { Admin, Organization } from '#core/orgs/model.ts';
import type { AdminStore } from '#core/orgs/stores.ts';

const composed = 'ma\u00f1ana secret'; // ñ as one code point
const decomposed = 'man\u0303ana secret'; // n + COMBINING TILDE

describe('preparePassword', () => {
  it('puts passwords in NFC, so composed and decomposed forms are one password', () => {
    expect(preparePassword(decomposed)).toBe(composed);
    expect(preparePassword(composed)).toBe(composed);
    expect(preparePassword('A\u030angstr\u00f6m')).toBe('\u00c5ngstr\u00f6m');
    expect(preparePassword('\u212bngstrom')).toBe('\u00c5ngstrom'); // ANGSTROM SIGN is a canonical singleton
  });

  it('maps every non-ASCII space to U+0020 (RFC 8265 OpaqueString)', () => {
    for (const space of ['\u00a0', '\u1680', '\u2000', '\u2003', '\u2009', '\u202f', '\u205f', '\u3000']) {
      expect(preparePassword(`correct${space}horse`), `U+${space.codePointAt(0)?.toString(16)}`).toBe('correct horse');
    }
  });

  it('keeps compatibility characters, case and other whitespace as they are (NFC, not NFKC)', () => {
    expect(preparePassword('\ufb01ne Password')).toBe('\ufb01ne Password'); // LATIN SMALL LIGATURE FI
    expect(preparePassword('\uff21\uff22\uff23 wide')).toBe('\uff21\uff22\uff23 wide'); // full-width letters
    expect(preparePassword('tab\there')).toBe('tab\there');
  });
});

describe('passwordTooLong', () => {
  it('counts UTF-8 bytes of the prepared form, not characters', () => {
    expect(passwordTooLong('a'.repeat(72))).toBe(false);
    expect(passwordTooLong('a'.repeat(73))).toBe(true);
    expect(passwordTooLong('é'.repeat(36))).toBe(false);
    expect(passwordTooLong('é'.repeat(37))).toBe(true);
    // 36 decomposed é are 108 bytes as typed, 72 once composed
    expect(passwordTooLong('e\u0301'.repeat(36))).toBe(false);
    expect(passwordTooLong('e\u0301'.repeat(37))).toBe(true);
  });
});

describe('passwordProblem', () => {
  it('accepts passwords of 8 characters to 72 bytes, spaces and emoji included', () => {
    for (const ok of [
      '8 chars!',
      composed,
      decomposed,
      'é'.repeat(36),
      '\u{1f600}'.repeat(8),
      'family \u{1f468}\u200d\u{1f469}\u200d\u{1f467}',
    ]) {
      expect(passwordProblem(ok), ok).toBeUndefined();
    }
  });

  it('counts characters as code points, after preparation', () => {
    expect(passwordProblem('\u{1f600}'.repeat(7))).toMatch(/at least 8 characters/); // 14 UTF-16 units, 7 characters
    expect(passwordProblem('e\u0301'.repeat(4))).toMatch(/at least 8 characters/); // 8 as typed, 4 once composed
    expect(passwordProblem('é'.repeat(37))).toMatch(/at most 72 bytes/);
  });

  it('refuses control characters, lone surrogates, noncharacters and unassigned code points', () => {
    for (const [bad, code] of [
      ['long password\u0000', 'U+0000'],
      ['tab\tinside it', 'U+0009'],
      ['new\nline password', 'U+000A'],
      ['delete\u007f password', 'U+007F'],
      ['c1 control \u0085 here', 'U+0085'],
      ['lone \ud83d surrogate', 'U+D83D'],
      ['nonchar \ufffe here', 'U+FFFE'],
      ['unassigned \u{e0080} here', 'U+E0080'],
    ]) {
      expect(passwordProblem(bad as string), code).toContain(`found ${code}`);
    }
  });

  it('is the schema new passwords are checked with', () => {
    expect(newPassword.safeParse(decomposed).success).toBe(true);
    expect(newPassword.safeParse('short').error?.issues[0]?.message).toMatch(/at least 8/);
    expect(newPassword.safeParse('bell \u0007 password').success).toBe(false);
  });
});

describe('createPasswordHasher', () => {
  it('hashes at the configured cost and checks', async () => {
    const hasher = createPasswordHasher(5);

    const hash = await hasher.hash('s3cret password');

    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(await hasher.check('s3cret password', hash)).toEqual({ matched: true, rehash: false });
    expect(await hasher.check('wrong password', hash)).toEqual({ matched: false, rehash: false });
  });

  it('hashes the prepared form, so any form of the password matches', async () => {
    const hasher = createPasswordHasher(4);

    const hash = await hasher.hash(decomposed);

    expect(await bcrypt.compare(composed, hash)).toBe(true);
    expect(await hasher.check(composed, hash)).toEqual({ matched: true, rehash: false });
    expect(await hasher.check(decomposed, hash)).toEqual({ matched: true, rehash: false });
    expect(await hasher.check('ma\u00f1ana\u00a0secret', hash)).toEqual({ matched: true, rehash: false });
    expect(await hasher.check('manana secret', hash)).toEqual({ matched: false, rehash: false });
  });

  it('still matches a hash made from the password as typed, and asks for a new one', async () => {
    const hasher = createPasswordHasher(4);
    const legacy = bcrypt.hashSync(decomposed, 4); // made before passwords were prepared

    expect(await hasher.check(decomposed, legacy)).toEqual({ matched: true, rehash: true });
    expect(await hasher.check(composed, legacy)).toEqual({ matched: false, rehash: false });
    const nbsp = bcrypt.hashSync('old\u00a0password', 4);
    expect(await hasher.check('old\u00a0password', nbsp)).toEqual({ matched: true, rehash: true });
  });

  it('asks for a new hash when the cost has risen', async () => {
    expect(await createPasswordHasher(5).check('s3cret password', bcrypt.hashSync('s3cret password', 4))).toEqual({
      matched: true,
      rehash: true,
    });
  });

  it('refuses to hash a password over 72 bytes rather than cut it', async () => {
    await expect(createPasswordHasher(4).hash('é'.repeat(37))).rejects.toThrow(RangeError);
  });

  it('compares against a dummy of the same cost when there is no hash, once per form of the password', async () => {
    const seen: string[] = [];
    const original = bcrypt.compare;
    const hasher = createPasswordHasher(6);
    (bcrypt as { compare: unknown }).compare = (pw: string, hash: string) => {
      seen.push(hash);
      return original(pw, hash);
    };
    try {
      expect(await hasher.check('anything at all', undefined)).toEqual({ matched: false, rehash: false });
      expect(seen).toHaveLength(1);
      expect(await hasher.check(decomposed, undefined)).toEqual({ matched: false, rehash: false });
      expect(seen).toHaveLength(3);
      // A wrong password for a real hash costs the same comparisons as for no hash.
      const real = bcrypt.hashSync('another password', 6);
      await hasher.check(decomposed, real);
      expect(seen.slice(3)).toEqual([real, real]);
    } finally {
      (bcrypt as { compare: unknown }).compare = original;
    }
    expect(seen.slice(0, 3).every((hash) => bcrypt.getRounds(hash) === 6)).toBe(true);
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
  const _org = { id: 'b'.repeat(24), name: 'Org', status: 'active' } as Organization;

  /** Records what the login compares, to show both failure paths do the same work. */
  function serviceRecording(verified: (string | undefined)[]) {
    const admins = { findByEmail: async (email: string) => (email === admin.email ? admin : null) } as AdminStore;
    const sessions = {
      start: async () => ({ accessToken: 'token' }) as unknown as SessionTokens,
      organizationsOf: async () => [{ org: { id: 'org-1', status: 'active' } as Organization, role: 'owner' }],
    };
    const real = createPasswordHasher(4);
    const hasher = {
      hash: real.hash,
      needsRehash: real.needsRehash,
      check: (pw: string, hash: string | undefined) => {
        verified.push(hash);
        return real.check(pw, hash);
      },
    };
    return new LoginService({ admins, hasher, sessions });
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

describe('LoginService: passwords hashed before preparation', () => {
  it('lets the admin in with the form they signed up with, then replaces the hash with one of the prepared form', async () => {
    const legacy = bcrypt.hashSync(decomposed, 4);
    const admin = { id: 'c'.repeat(24), email: 'old@example.com', passwordHash: legacy, orgId: 'd'.repeat(24) } as Admin;
    const replaced: [string, string, string][] = [];
    const admins = {
      findByEmail: async () => admin,
      replaceHash: async (id: string, previous: string, next: string) => {
        replaced.push([id, previous, next]);
      },
    } as unknown as AdminStore;
    const sessions = {
      start: async () => ({ accessToken: 'token' }) as unknown as SessionTokens,
      organizationsOf: async () => [{ org: { id: 'org-1', status: 'active' } as Organization, role: 'owner' }],
    };
    const service = new LoginService({ admins, hasher: createPasswordHasher(4), sessions });

    await expect(service.login(admin.email, decomposed)).resolves.toMatchObject({ accessToken: 'token' });

    expect(replaced).toHaveLength(1);
    const [id, previous, next] = replaced[0] ?? [];
    expect([id, previous]).toEqual([admin.id, legacy]);
    expect(await bcrypt.compare(composed, next ?? '')).toBe(true);
    expect(await bcrypt.compare(decomposed, next ?? '')).toBe(false);
  });

  it('does not replace a hash that already holds the prepared form', async () => {
    const admin = {
      id: 'e'.repeat(24),
      email: 'new@example.com',
      passwordHash: bcrypt.hashSync(composed, 4),
      orgId: 'f'.repeat(24),
    } as Admin;
    let replaced = 0;
    const admins = {
      findByEmail: async () => admin,
      replaceHash: async () => {
        replaced += 1;
      },
    } as unknown as AdminStore;
    const sessions = {
      start: async () => ({ accessToken: 'token' }) as unknown as SessionTokens,
      organizationsOf: async () => [{ org: { id: 'org-1', status: 'active' } as Organization, role: 'owner' }],
    };
    const service = new LoginService({ admins, hasher: createPasswordHasher(4), sessions });

    await service.login(admin.email, decomposed);
    await service.login(admin.email, composed);

    expect(replaced).toBe(0);
  });
});
