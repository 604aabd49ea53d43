import bcrypt from 'bcryptjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoginService } from '#core/auth/login.ts';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import type { SessionTokens } from '#core/auth/sessions.ts';
import type { AuthStores } from '#core/auth/stores.ts';
import { LoginThrottle } from '#core/auth/throttle.ts';
import { TooManyRequestsError, UnauthorizedError } from '#core/errors.ts';
import { mongoAuthStores } from '#core/mongo/auth-stores.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import type { Organization } from '#core/orgs/model.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { createOrganization } from '../support/auth.ts';
import { masterDb, testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';

useTestDatabase();

const WINDOW_MS = 15 * 60_000;
const clock = { t: Date.parse('2026-03-01T12:00:00Z') };
const password = 'protected password';
let org: OrgStores;
let auth: AuthStores;

beforeAll(async () => {
  const master = process.env.MASTER_DB_NAME ?? '';
  org = mongoOrgStores(testClient(), master, testPlacements());
  auth = mongoAuthStores(testClient().db(master));
  await createOrganization('Locked Co', 'locked@protect.example', password);
  await createOrganization('Free Co', 'free@protect.example', password);
});

function service(cost = 4) {
  const now = () => new Date(clock.t);
  const throttle = new LoginThrottle(
    auth.attempts,
    { maxFailuresPerEmail: 10, maxFailuresPerIp: 1_000, windowMs: WINDOW_MS },
    now,
  );
  const sessions = {
    start: async () => ({ accessToken: 'issued' }) as unknown as SessionTokens,
    organizationsOf: async () => [{ org: { id: 'org-1', status: 'active' } as Organization, role: 'owner' }],
  };
  return new LoginService({ admins: org.admins, hasher: createPasswordHasher(cost), sessions, throttle });
}

describe('Login lockout', () => {
  it('locks an email after 10 failures in the window, even for the right password, then lets it in again', async () => {
    const svc = service();
    for (let i = 0; i < 10; i += 1) {
      await expect(svc.login('locked@protect.example', `wrong ${i}`, '10.0.0.1')).rejects.toBeInstanceOf(UnauthorizedError);
    }

    const locked = await svc.login('locked@protect.example', password, '10.0.0.2').catch((e: unknown) => e);
    const other = await svc.login('free@protect.example', password, '10.0.0.1');

    expect(locked).toBeInstanceOf(TooManyRequestsError);
    expect((locked as TooManyRequestsError).retryAfterSeconds).toBe(WINDOW_MS / 1000);
    expect(other).toMatchObject({ accessToken: 'issued' });
    clock.t += WINDOW_MS / 2;
    await expect(svc.login('locked@protect.example', password)).rejects.toMatchObject({ retryAfterSeconds: WINDOW_MS / 2000 });
    clock.t += WINDOW_MS / 2;
    await expect(svc.login('locked@protect.example', password)).resolves.toMatchObject({ accessToken: 'issued' });
  });

  it('resets the count on success', async () => {
    const svc = service();
    for (let i = 0; i < 9; i += 1) await svc.login('free@protect.example', 'wrong', '10.1.0.1').catch(() => {});
    await svc.login('free@protect.example', password, '10.1.0.1');
    for (let i = 0; i < 9; i += 1) await svc.login('free@protect.example', 'wrong', '10.1.0.1').catch(() => {});

    await expect(svc.login('free@protect.example', password, '10.1.0.1')).resolves.toMatchObject({ accessToken: 'issued' });
  });

  it('counts per source address too, and across containers', async () => {
    const now = () => new Date(clock.t);
    const settings = { maxFailuresPerEmail: 1_000, maxFailuresPerIp: 5, windowMs: WINDOW_MS };
    const sessions = {
      start: async () => ({ accessToken: 'issued' }) as unknown as SessionTokens,
      organizationsOf: async () => [{ org: { id: 'org-1', status: 'active' } as Organization, role: 'owner' }],
    };
    const containers = [0, 1].map(
      () =>
        new LoginService({
          admins: org.admins,
          hasher: createPasswordHasher(4),
          sessions,
          throttle: new LoginThrottle(auth.attempts, settings, now),
        }),
    );
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        containers[i % 2]!.login(`nobody${i}@protect.example`, 'x', '192.0.2.9').catch(() => {}),
      ),
    );

    await expect(containers[0]!.login('free@protect.example', password, '192.0.2.9')).rejects.toBeInstanceOf(
      TooManyRequestsError,
    );
    await expect(containers[1]!.login('free@protect.example', password, '192.0.2.10')).resolves.toBeTruthy();
  });

  it('answers 429 problem+json with Retry-After through the handler', async () => {
    await createOrganization('Handler Lock', 'handler@protect.example', password);
    const attempt = (pw: string) =>
      invoke(login, { method: 'POST', path: '/admin/login', body: { email: 'handler@protect.example', password: pw } });
    for (let i = 0; i < 10; i += 1) expect((await attempt('wrong password')).status).toBe(401);

    const answer = await attempt(password);

    expect(answer.status).toBe(429);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(800);
    expect(answer.body).toMatchObject({ status: 429, code: 'too_many_attempts' });
  });
});

describe('Rehash on login', () => {
  it('upgrades a hash made at a lower cost than configured, keeping the admin signed in', async () => {
    await createOrganization('Old Hash Co', 'oldhash@protect.example', password);
    const before = await masterDb().collection('admins').findOne({ email: 'oldhash@protect.example' });
    expect(bcrypt.getRounds(before?.passwordHash)).toBe(4);

    await service(5).login('oldhash@protect.example', password);

    const after = await masterDb().collection('admins').findOne({ email: 'oldhash@protect.example' });
    expect(bcrypt.getRounds(after?.passwordHash)).toBe(5);
    expect(await bcrypt.compare(password, after?.passwordHash)).toBe(true);
    expect(after?.tokenVersion ?? 0).toBe(before?.tokenVersion ?? 0);
  });
});
