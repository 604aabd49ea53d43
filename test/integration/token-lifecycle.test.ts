import { createHmac, createPublicKey } from 'node:crypto';
import { base64url, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenGuard } from '#core/app.ts';
import { problemResponse } from '#core/http/problem.ts';
import { handler as logout } from '../../functions/admin-logout/handler.ts';
import { handler as logoutAll } from '../../functions/admin-logout-all/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { handler as changePassword } from '../../functions/me-password/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { purgeNow, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * The token lifecycle through the real handlers and database. Everything the service logs while this
 * file runs is collected, and at the end must contain no password, hash, access or refresh token.
 */

// Revocation takes effect at once here; the bound a cache adds is tested in revocation-bound.test.ts.
// Every level is logged and the metrics are written too, so both are searched for secrets; the
// logger reads its level when it is loaded.
vi.hoisted(() => {
  process.env.REVOCATION_CACHE_SECONDS = '0';
  process.env.LOG_LEVEL = 'debug';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
});

useTestDatabase();

const logged: string[] = [];
const secrets: string[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

const guard = tokenGuard();
const password = 'lifecycle password';
let seq = 0;

/** A fresh organization and a signed-in admin. */
async function admin() {
  seq += 1;
  const email = `admin${seq}@lifecycle.example`;
  await createOrganization(`Lifecycle ${seq}`, email, password);
  const tokens = await logIn(email, password);
  secrets.push(tokens.access_token, tokens.refresh_token);
  return { email, name: `Lifecycle ${seq}`, ...tokens };
}

/** How the service answers a token: the authorizer's decision and the problem the guard reports. */
async function rejectionOf(token: string) {
  const decision = await authorizeToken(token);
  const error = await (await guard()).check(token).then(
    () => null,
    (e: unknown) => e,
  );
  return { decision, problem: error ? problemResponse(error) : null };
}

async function expectRejected(token: string, code: 'invalid_token' | 'token_revoked') {
  const { decision, problem } = await rejectionOf(token);
  expect(decision).toBeNull();
  expect(problem?.statusCode).toBe(401);
  expect(problem?.headers).toMatchObject({ 'content-type': 'application/problem+json' });
  expect(JSON.parse(String(problem?.body))).toMatchObject({ status: 401, code });
}

async function callerOf(token: string) {
  const context = await authorizeToken(token);
  expect(context).not.toBeNull();
  return context!;
}

const b64 = (value: object) => base64url.encode(JSON.stringify(value));

describe('Access tokens the authorizer rejects with 401 problem+json', () => {
  it('rejects forged, tampered, expired and misaddressed tokens', async () => {
    const { access_token: good } = await admin();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good);
    const { kid } = decodeProtectedHeader(good);
    const publicJwk = JSON.parse(process.env.JWT_PUBLIC_KEYS ?? '').keys[0];
    const publicPem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hs256Input = `${b64({ alg: 'HS256', kid, typ: 'JWT' })}.${payload}`;
    const stranger = await generateKeyPair('EdDSA', { extractable: true });
    const strangerSign = (kidHeader: string | undefined, edit: (j: SignJWT) => SignJWT = (j) => j) =>
      edit(
        new SignJWT({ ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(kidHeader ? { kid: kidHeader } : {}) }),
      ).sign(stranger.privateKey);
    const privateJwk = JSON.parse(process.env.JWT_PRIVATE_KEY ?? '');
    const { importJWK } = await import('jose');
    const realKey = await importJWK(privateJwk, 'EdDSA');
    const realSign = (overrides: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...overrides }).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' }).sign(realKey);
    const now = Math.floor(Date.now() / 1000);

    const cases: Record<string, string> = {
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
      'HS256 keyed with the public key': `${hs256Input}.${createHmac('sha256', String(publicPem)).update(hs256Input).digest('base64url')}`,
      'signed by an unknown key': await strangerSign(kid),
      'an unknown kid': await strangerSign('no-such-kid'),
      expired: await realSign({ iat: now - 4000, exp: now - 60 }),
      'not yet valid': await realSign({ nbf: now + 600 }),
      'wrong issuer': await realSign({ iss: 'someone-else' }),
      'wrong audience': await realSign({ aud: 'another-api' }),
      'tampered payload': `${header}.${b64({ ...claims, org: '0'.repeat(24) })}.${signature}`,
    };
    for (const [title, token] of Object.entries(cases)) {
      const { decision, problem } = await rejectionOf(token);
      expect(decision, title).toBeNull();
      expect(problem?.statusCode, title).toBe(401);
      expect(JSON.parse(String(problem?.body)), title).toMatchObject({ code: 'invalid_token' });
    }
    expect(await authorizeToken(good)).not.toBeNull();
  });

  it('marks the tokens of a deleted (archived) organization, and rejects them once it is purged', async () => {
    const a = await admin();
    const caller = await callerOf(a.access_token);

    const deleted = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller,
      query: { organization_name: a.name },
    });

    expect(deleted.status).toBe(202);
    expect(await authorizeToken(a.access_token)).toMatchObject({ organization: 'archived' });
    expect(
      (await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } })).status,
    ).toBe(401);
    await purgeNow(caller.orgId);
    await expectRejected(a.access_token, 'token_revoked');
    expect(
      (await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } })).status,
    ).toBe(401);
  });
});

describe('Function: admin-refresh', () => {
  it('rotates the refresh token and issues a working access token', async () => {
    const a = await admin();

    const answer = await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800, organization_id: a.organization_id });
    expect(answer.body.refresh_token).not.toBe(a.refresh_token);
    expect(Buffer.from(answer.body.refresh_token, 'base64url').byteLength).toBeGreaterThanOrEqual(32);
    secrets.push(answer.body.access_token, answer.body.refresh_token);
    expect(decodeJwt(answer.body.access_token).sid).toBe(decodeJwt(a.access_token).sid);
    await callerOf(answer.body.access_token);
  });

  it('treats a reused refresh token as stolen: 401, and the whole session dies', async () => {
    const a = await admin();
    const first = await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } });
    secrets.push(first.body.access_token, first.body.refresh_token);

    const reuse = await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } });
    const successor = await invoke(refresh, {
      method: 'POST',
      path: '/admin/refresh',
      body: { refresh_token: first.body.refresh_token },
    });

    expect(reuse.status).toBe(401);
    expect(reuse.headers['content-type']).toBe('application/problem+json');
    expect(reuse.body.code).toBe('refresh_token_reused');
    expect(successor.status).toBe(401);
    await expectRejected(first.body.access_token, 'token_revoked');
    await expectRejected(a.access_token, 'token_revoked');
  });

  it('lets exactly one of several concurrent uses of a refresh token through', async () => {
    const a = await admin();

    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } }),
      ),
    );

    for (const answer of answers) if (answer.status === 200) secrets.push(answer.body.access_token, answer.body.refresh_token);
    expect(answers.map((x) => x.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('answers an unknown refresh token with 401 and a malformed one with 400', async () => {
    const unknown = await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: 'x'.repeat(43) } });
    const malformed = await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: { $ne: null } } });

    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('invalid_refresh_token');
    expect(malformed.status).toBe(400);
  });
});

describe('Function: admin-logout', () => {
  it('revokes the access token presented and its session, and no other session', async () => {
    const a = await admin();
    const other = await logIn(a.email, password);
    secrets.push(other.access_token, other.refresh_token);

    const answer = await invoke(logout, { method: 'POST', path: '/admin/logout', caller: await callerOf(a.access_token) });

    expect(answer.status).toBe(204);
    await expectRejected(a.access_token, 'token_revoked');
    expect(
      (await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } })).status,
    ).toBe(401);
    await callerOf(other.access_token);
  });
});

describe('Function: admin-logout-all', () => {
  it('makes every token of the admin stop working', async () => {
    const a = await admin();
    const other = await logIn(a.email, password);
    secrets.push(other.access_token, other.refresh_token);

    const answer = await invoke(logoutAll, {
      method: 'POST',
      path: '/admin/logout-all',
      caller: await callerOf(other.access_token),
    });

    expect(answer.status).toBe(204);
    await expectRejected(a.access_token, 'token_revoked');
    await expectRejected(other.access_token, 'token_revoked');
    for (const token of [a.refresh_token, other.refresh_token]) {
      expect((await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: token } })).status).toBe(
        401,
      );
    }
    const again = await logIn(a.email, password);
    secrets.push(again.access_token, again.refresh_token);
    await callerOf(again.access_token);
  });
});

describe('Credential changes', () => {
  it('a password change (PUT /me/password) revokes every token of the user, this session included', async () => {
    const a = await admin();
    const caller = await callerOf(a.access_token);

    const answer = await invoke(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller,
      body: { current_password: password, new_password: 'a brand new password' },
    });

    expect(answer.status).toBe(204);
    await expectRejected(a.access_token, 'token_revoked');
    expect(
      (await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.refresh_token } })).status,
    ).toBe(401);
  });
});

describe('Logging', () => {
  it('never logs a password, a hash, an access token or a refresh token', async () => {
    const { testClient } = await import('../support/db.ts');
    const hashes = await testClient()
      .db(process.env.MASTER_DB_NAME)
      .collection('admins')
      .find()
      .map((a) => a.passwordHash)
      .toArray();
    const text = logged.join('\n');

    expect(logged.length).toBeGreaterThan(10);
    expect(
      logged.some((line) => line.includes('"CloudWatchMetrics"')),
      'the metrics were searched too',
    ).toBe(true);
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of [password, 'a brand new password', ...secrets, ...hashes]) {
      expect(text.includes(secret), 'a secret reached the logs').toBe(false);
    }
  });
});
