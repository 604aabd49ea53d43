import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { totpCode } from '#core/account/totp.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { handler as verifyEmail } from '../../functions/email-verify/handler.ts';
import { handler as acceptInvitation } from '../../functions/invitations-accept/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as loginTwoFactor } from '../../functions/login-two-factor/handler.ts';
import { handler as me } from '../../functions/me/handler.ts';
import { handler as changeEmail } from '../../functions/me-email/handler.ts';
import { handler as acceptAsUser } from '../../functions/me-invitations-accept/handler.ts';
import { handler as changePassword } from '../../functions/me-password/handler.ts';
import { handler as switchOrg } from '../../functions/me-switch/handler.ts';
import { handler as orgSecurity } from '../../functions/org-security/handler.ts';
import { handler as forgot } from '../../functions/password-forgot/handler.ts';
import { handler as reset } from '../../functions/password-reset/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as confirmTwoFactor } from '../../functions/two-factor-confirm/handler.ts';
import { handler as disableTwoFactor } from '../../functions/two-factor-disable/handler.ts';
import { handler as enrolTwoFactor } from '../../functions/two-factor-enroll/handler.ts';
import { type AuthorizerContext, authorizeToken, createOrganization } from '../support/auth.ts';
import { useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { mailboxMessages, tokenIn } from '../support/mailbox.ts';

/**
 * Attacks on account security, on the real database through the route handlers: each test states a
 * promise of the README's "Account security" section and tries to break it.
 */

const MAILBOX = vi.hoisted(() => {
  const dir = `${process.cwd()}/.local/test-mailbox-account-attacks-${process.pid}-${Math.random().toString(36).slice(2)}`;
  process.env.MAILER = 'mailbox';
  process.env.MAILBOX_DIR = dir;
  process.env.ACCOUNT_URL_BASE = 'https://app.example/account';
  process.env.LOGIN_MAX_FAILURES_PER_EMAIL = '5';
  process.env.ACCOUNT_MAIL_MAX_PER_EMAIL = '3';
  process.env.REVOCATION_CACHE_SECONDS = '0'; // the authorizer looks every token up

  return dir;
});

useTestDatabase();

const logged: string[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await rm(MAILBOX, { recursive: true, force: true });
});

const PASSWORD = 'the first password';
let seq = 0;

/** A new organization; its owner's email, password and a caller for the owner's tokens. */
async function owner(password = PASSWORD) {
  seq += 1;
  const email = `owner${seq}@account.example`;
  const created = await createOrganization(`Account Org ${seq}`, email, password);
  return { email, orgId: created.organization_id as string, ...(await tokensOf(email, password)) };
}

async function tokensOf(email: string, password: string) {
  const answer = await invoke(login, { method: 'POST', path: '/admin/login', body: { email, password } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return { tokens: answer.body, caller: await contextOf(answer.body.access_token) };
}

async function contextOf(token: string): Promise<AuthorizerContext> {
  const context = await authorizeToken(token);
  if (!context) throw new Error('the token was refused');
  return context;
}

const mailTo = async (to: string) => (await mailboxMessages(MAILBOX)).filter((m) => m.to === to);
const lastLink = async (to: string) => tokenIn((await mailTo(to)).at(-1)?.text ?? '');
const logIn = (email: string, password: string) =>
  invoke(login, { method: 'POST', path: '/admin/login', body: { email, password } });
const _profile = async (caller: AuthorizerContext) => (await invoke(me, { method: 'GET', path: '/me', caller })).body;

/** Turns two-factor authentication on for `user`; answers the secret and the recovery codes. */
async function enrol(user: { caller: AuthorizerContext }, password = PASSWORD) {
  const started = await invoke(enrolTwoFactor, {
    method: 'POST',
    path: '/me/two-factor',
    caller: user.caller,
    body: { password },
  });
  expect(started.status).toBe(200);
  const secret: string = started.body.secret;
  const confirmed = await invoke(confirmTwoFactor, {
    method: 'POST',
    path: '/me/two-factor/confirm',
    caller: user.caller,
    body: { code: totpCode(secret, new Date()) },
  });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  recoveryCodesSeen.push(...confirmed.body.recovery_codes);
  return { secret, recoveryCodes: confirmed.body.recovery_codes as string[], started: started.body };
}

const challengesSeen: string[] = [];
const recoveryCodesSeen: string[] = [];

const complete = (challenge: string, code: string) => {
  challengesSeen.push(challenge);
  return invoke(loginTwoFactor, { method: 'POST', path: '/login/two-factor', body: { challenge, code } });
};

/** A TOTP code of a step no earlier test used: the next step's, accepted within the window. */
const nextCode = (secret: string, steps = 1) => totpCode(secret, new Date(Date.now() + steps * 30_000));

describe('the lockout of the second factor', () => {
  it('counts concurrent wrong codes: no more than the limit (5) are checked before the lockout', async () => {
    const a = await owner();
    await enrol(a);
    const challenge = (await logIn(a.email, PASSWORD)).body.challenge as string;

    const codes = Array.from({ length: 25 }, (_, i) => String(100000 + i * 7919).slice(0, 6));
    const answers = await Promise.all(codes.map((code) => complete(challenge, code)));
    const checked = answers.filter((r) => r.status === 401).length;

    // With LOGIN_MAX_FAILURES_PER_EMAIL=5 at most 5 guesses may be compared with the secret.
    expect(checked, `statuses: ${answers.map((r) => r.status).join(',')}`).toBeLessThanOrEqual(5);
  });

  it('is not lifted by a correct password given to POST /invitations/accept', async () => {
    const victim = await owner();
    await enrol(victim);
    const other = await owner();
    await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: other.caller,
      body: { email: victim.email, role: 'member' },
    });
    const invitation = await lastLink(victim.email);

    const before = [];
    for (let i = 0; i < 4; i += 1) {
      before.push((await complete((await logIn(victim.email, PASSWORD)).body.challenge, '000000')).status);
    }
    const accepted = await invoke(acceptInvitation, {
      method: 'POST',
      path: '/invitations/accept',
      body: { token: invitation, password: PASSWORD },
    });
    const fifth = await complete((await logIn(victim.email, PASSWORD)).body.challenge, '000000');
    const sixth = await logIn(victim.email, PASSWORD);

    expect(before).toEqual([401, 401, 401, 401]);
    expect(accepted).toMatchObject({ status: 403, body: { code: 'log_in_to_accept' } });
    expect(fifth.status).toBe(401);
    // Five wrong codes: the account is locked, whatever password was given in between.
    expect(sixth.status).toBe(429);
  });
});

describe('invitation accepted by an enrolled user', () => {
  it('does not make the account a member before the second factor is given', async () => {
    const victim = await owner();
    const { secret } = await enrol(victim);
    const other = await owner();
    await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: other.caller,
      body: { email: victim.email, role: 'member' },
    });
    const accepted = await invoke(acceptInvitation, {
      method: 'POST',
      path: '/invitations/accept',
      body: { token: await lastLink(victim.email), password: PASSWORD },
    });
    expect(accepted).toMatchObject({ status: 403, body: { code: 'log_in_to_accept' } });

    // The password alone joined nothing; logged in with the second factor, the invitation still works.
    const session = await complete((await logIn(victim.email, PASSWORD)).body.challenge, nextCode(secret));
    const orgs = (session.body.organizations as { organization_id: string }[]).map((o) => o.organization_id);
    expect(orgs).not.toContain(other.orgId);
    const joined = await invoke(acceptAsUser, {
      method: 'POST',
      path: '/me/invitations/accept',
      caller: await contextOf(session.body.access_token),
      body: { token: await lastLink(victim.email) },
    });
    expect(joined).toMatchObject({ status: 200, body: { organization_id: other.orgId } });
  });
});

describe('a pending change of address after the password is reset or changed', () => {
  it('a change asked before a password reset cannot complete after it', async () => {
    const a = await owner();
    const taker = `taker${seq}@evil.example`;
    // Someone holding the password asks to move the account to their address.
    const asked = await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: taker, password: PASSWORD },
    });
    expect(asked.status).toBe(202);
    const takersLink = await lastLink(taker);

    // The owner notices the notice email and resets the password: every session ends.
    await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: a.email } });
    const reset1 = await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: await lastLink(a.email), password: 'the owner took it back' },
    });
    expect(reset1.status).toBe(204);

    const followed = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: takersLink } });
    expect(followed.status, JSON.stringify(followed.body)).toBe(404);
    expect((await logIn(a.email, 'the owner took it back')).status).toBe(200);
  });

  it('a change asked before a password change cannot complete after it', async () => {
    const a = await owner();
    const taker = `taker${seq}b@evil.example`;
    await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: taker, password: PASSWORD },
    });
    const takersLink = await lastLink(taker);
    const changed = await invoke(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller: a.caller,
      body: { current_password: PASSWORD, new_password: 'the owner changed it' },
    });
    expect(changed.status).toBe(204);

    const followed = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: takersLink } });
    expect(followed.status, JSON.stringify(followed.body)).toBe(404);
  });
});

describe('the organization policy and turning two-factor off', () => {
  it('a session whose user turned two-factor off no longer counts as a two-factor session', async () => {
    const a = await owner();
    const { secret, recoveryCodes } = await enrol(a);
    const session = await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
    const caller = await contextOf(session.body.access_token);
    const set = await invoke(orgSecurity, {
      method: 'PUT',
      path: '/org/security',
      caller,
      body: { require_two_factor: true },
    });
    expect(set.status).toBe(200);

    const off = await invoke(disableTwoFactor, {
      method: 'POST',
      path: '/me/two-factor/disable',
      caller,
      body: { password: PASSWORD, code: recoveryCodes[0] },
    });
    expect(off.status).toBe(204);

    // The user has no second factor now; the organization requires one.
    const refreshed = await invoke(refresh, {
      method: 'POST',
      path: '/admin/refresh',
      body: { refresh_token: session.body.refresh_token },
    });
    const after = refreshed.status === 200 ? await contextOf(refreshed.body.access_token) : null;
    const write = after
      ? await invoke(createRecord, { method: 'POST', path: '/org/records', caller: after, body: { a: 1 } })
      : { status: 401 };
    expect(write.status).not.toBe(201);
  });
});

describe('odd input gets a 4xx, never a 500', () => {
  it('on every public account route', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const challenge = (await logIn(a.email, PASSWORD)).body.challenge as string;
    const weird = [
      '\u0000\u0000\u0000\u0000\u0000\u0000',
      'ＡＢＣＤＥ-ＦＧＨＪＫ',
      '   123456   ',
      '12345６',
      'aaaaa-aaaaa',
      '-'.repeat(32),
      '1e5000',
    ];
    const statuses: number[] = [];
    for (const code of weird) statuses.push((await complete(challenge, code)).status);
    const bodies: unknown[] = [
      {},
      { email: ['x@y.example'] },
      { email: 'X@Y.example\u0000' },
      { token: 'a'.repeat(43), password: 'p'.repeat(5000) },
      { token: `${'a'.repeat(42)}=`, password: 'a long enough one' },
      { token: { $gt: '' }, password: 'a long enough one' },
      { challenge: { $ne: null }, code: '123456' },
    ];
    for (const body of bodies) {
      statuses.push((await invoke(forgot, { method: 'POST', path: '/password/forgot', body })).status);
      statuses.push((await invoke(reset, { method: 'POST', path: '/password/reset', body })).status);
      statuses.push((await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body })).status);
      statuses.push((await invoke(loginTwoFactor, { method: 'POST', path: '/login/two-factor', body })).status);
    }
    expect(
      statuses.filter((s) => s >= 500),
      statuses.join(','),
    ).toEqual([]);
    expect(nextCode(secret)).toMatch(/^\d{6}$/);
  });
});

/** An owner with two-factor on, a two-factor session, and their organization requiring it. */
async function strictOrg() {
  const a = await owner();
  const { secret } = await enrol(a);
  const session = await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
  const caller = await contextOf(session.body.access_token);
  const set = await invoke(orgSecurity, { method: 'PUT', path: '/org/security', caller, body: { require_two_factor: true } });
  expect(set.status).toBe(200);
  return { ...a, caller };
}

async function invite(by: { caller: AuthorizerContext }, email: string, password: string) {
  await invoke(createInvitation, {
    method: 'POST',
    path: '/org/invitations',
    caller: by.caller,
    body: { email, role: 'member' },
  });
  return invoke(acceptInvitation, {
    method: 'POST',
    path: '/invitations/accept',
    body: { token: await lastLink(email), password },
  });
}

describe('Second factor and policy on every path', () => {
  it('a session without a second factor switched into a strict organization is refused there', async () => {
    const strict = await strictOrg();
    const u = await owner();
    const joined = await invite(strict, u.email, PASSWORD);
    expect(joined.status).toBe(200);

    const switched = await invoke(switchOrg, {
      method: 'POST',
      path: '/me/switch',
      caller: u.caller,
      body: { organization_id: strict.orgId },
    });
    expect(switched.status).toBe(200);
    const write = await invoke(createRecord, {
      method: 'POST',
      path: '/org/records',
      caller: await contextOf(switched.body.access_token),
      body: { a: 1 },
    });
    expect(write).toMatchObject({ status: 403, body: { code: 'two_factor_required' } });
  });

  it('a session begun before the policy gets tfa missing at its next refresh', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const member = `early${seq}@account.example`;
    const joined = await invite(a, member, 'member password');
    expect(joined.status).toBe(200);
    const session = await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
    await invoke(orgSecurity, {
      method: 'PUT',
      path: '/org/security',
      caller: await contextOf(session.body.access_token),
      body: { require_two_factor: true },
    });
    const refreshed = await invoke(refresh, {
      method: 'POST',
      path: '/admin/refresh',
      body: { refresh_token: joined.body.refresh_token },
    });
    const write = await invoke(createRecord, {
      method: 'POST',
      path: '/org/records',
      caller: await contextOf(refreshed.body.access_token),
      body: { a: 1 },
    });
    expect(write).toMatchObject({ status: 403, body: { code: 'two_factor_required' } });
  });

  it('one recovery code sent on two challenges at once completes one login', async () => {
    const a = await owner();
    const { recoveryCodes } = await enrol(a);
    const challenges = [(await logIn(a.email, PASSWORD)).body.challenge, (await logIn(a.email, PASSWORD)).body.challenge];
    const answers = await Promise.all(challenges.map((c) => complete(c, recoveryCodes[1] as string)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('a challenge completes into the organization the login chose; a refresh token is no challenge', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const session = await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
    expect(session.body.organization_id).toBe(a.orgId);
    expect((await complete(session.body.refresh_token, nextCode(secret, -1))).status).toBe(401);
  });
});

describe('Races for an address', () => {
  it('two accounts racing to one new address: one moves, the other is told email_taken', async () => {
    const a = await owner();
    const b = await owner();
    const target = `contested${seq}@account.example`;
    for (const who of [a, b]) {
      const asked = await invoke(changeEmail, {
        method: 'POST',
        path: '/me/email',
        caller: who.caller,
        body: { email: target, password: PASSWORD },
      });
      expect(asked.status).toBe(202);
    }
    const links = (await mailTo(target)).map((m) => tokenIn(m.text));
    const answers = await Promise.all(
      links.map((token) => invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token } })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await logIn(target, PASSWORD)).status).toBe(200);
  });

  it('a sign-up that takes the pending address first wins; the link then answers 409 and moves nothing', async () => {
    const a = await owner();
    const target = `squat${seq}@account.example`;
    await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: target, password: PASSWORD },
    });
    const link = await lastLink(target);
    await createOrganization(`Squat ${seq}`, target, 'someone else entirely');
    const followed = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: link } });
    expect(followed).toMatchObject({ status: 409, body: { code: 'email_taken' } });
    expect((await logIn(a.email, PASSWORD)).status).toBe(200);
  });
});

describe('nothing lost when a login step fails', () => {
  it('a recovery code sent on a challenge that another request completed first stays usable', async () => {
    const a = await owner();
    const { recoveryCodes } = await enrol(a);
    const challenge = (await logIn(a.email, PASSWORD)).body.challenge as string;
    const [first, second] = [recoveryCodes[2] as string, recoveryCodes[3] as string];

    const answers = await Promise.all([complete(challenge, first), complete(challenge, second)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    const loser = answers[0]?.status === 200 ? second : first;

    // The losing request completed no login; its recovery code was not used for anything.
    const again = await complete((await logIn(a.email, PASSWORD)).body.challenge, loser);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
  });
});
