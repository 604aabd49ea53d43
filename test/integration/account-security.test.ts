import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PasswordResetService } from '#core/account/password-reset.ts';
import { totpCode } from '#core/account/totp.ts';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { LoginThrottle } from '#core/auth/throttle.ts';
import { MailboxMailer } from '#core/mail/mailbox-mailer.ts';
import { Outbox } from '#core/mail/outbox.ts';
import { mongoAccountStores } from '#core/mongo/account-stores.ts';
import { mongoAttemptLog } from '#core/mongo/attempt-log.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoOutboxStore } from '#core/mongo/outbox-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { handler as auditLog } from '../../functions/audit-log/handler.ts';
import { handler as verifyEmail } from '../../functions/email-verify/handler.ts';
import { handler as acceptInvitation } from '../../functions/invitations-accept/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as loginTwoFactor } from '../../functions/login-two-factor/handler.ts';
import { handler as me } from '../../functions/me/handler.ts';
import { handler as changeEmail } from '../../functions/me-email/handler.ts';
import { handler as resendVerification } from '../../functions/me-email-verification/handler.ts';
import { handler as changePassword } from '../../functions/me-password/handler.ts';
import { handler as orgSecurity } from '../../functions/org-security/handler.ts';
import { handler as forgot } from '../../functions/password-forgot/handler.ts';
import { handler as reset } from '../../functions/password-reset/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as confirmTwoFactor } from '../../functions/two-factor-confirm/handler.ts';
import { handler as disableTwoFactor } from '../../functions/two-factor-disable/handler.ts';
import { handler as enrolTwoFactor } from '../../functions/two-factor-enroll/handler.ts';
import { type AuthorizerContext, authorizeToken, createOrganization } from '../support/auth.ts';
import { masterDb, testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { mailboxMessages, tokenIn } from '../support/mailbox.ts';

/**
 * Account security end to end on the real database: password reset, email verification and change
 * of address, two-factor authentication and the organization's policy, through the route handlers,
 * with email read from this file's own mailbox folder.
 */

const MAILBOX = vi.hoisted(() => {
  const dir = `${process.cwd()}/.local/test-mailbox-account-${process.pid}-${Math.random().toString(36).slice(2)}`;
  process.env.MAILER = 'mailbox';
  process.env.MAILBOX_DIR = dir;
  process.env.ACCOUNT_URL_BASE = 'https://app.example/account';
  process.env.LOGIN_MAX_FAILURES_PER_EMAIL = '5';
  process.env.ACCOUNT_MAIL_MAX_PER_EMAIL = '3';
  process.env.REVOCATION_CACHE_SECONDS = '0'; // the authorizer looks every token up
  process.env.LOG_LEVEL = 'debug'; // every line is searched for secrets (the logger reads its level at load)
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
const profile = async (caller: AuthorizerContext) => (await invoke(me, { method: 'GET', path: '/me', caller })).body;

describe('Password reset', () => {
  it('mails a single-use link; the reset sets the password, verifies the address and ends every session', async () => {
    const a = await owner();

    const asked = await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: a.email } });
    const secret = await lastLink(a.email);
    const done = await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: secret, password: 'a brand new one' },
    });

    expect(asked.status).toBe(202);
    expect((await mailTo(a.email)).at(-1)?.text).toContain(`https://app.example/account/reset-password?token=${secret}`);
    expect(done.status).toBe(204);
    expect((await logIn(a.email, PASSWORD)).status).toBe(401);
    expect((await logIn(a.email, 'a brand new one')).status).toBe(200);
    expect(await authorizeToken(a.tokens.access_token)).toBeNull();
    expect(
      (await invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.tokens.refresh_token } })).status,
    ).toBe(401);
    const again = await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: secret, password: 'a third password' },
    });
    expect(again).toMatchObject({ status: 404, body: { code: 'reset_link_invalid' } });
    const fresh = await tokensOf(a.email, 'a brand new one');
    expect(await profile(fresh.caller)).toMatchObject({ email_verified: true });
    // Only the hash is stored.
    expect(JSON.stringify(await masterDb().collection(C.accountTokens).find().toArray())).not.toContain(secret);
  });

  it('answers an unknown address exactly as a known one, and mails it a note without a link', async () => {
    const a = await owner();

    const known = await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: a.email } });
    const unknown = await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: 'nobody@account.example' } });

    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    const note = (await mailTo('nobody@account.example')).at(-1);
    expect(note?.text).toContain('no account uses it');
    expect(note?.text).not.toMatch(/token=/);
  });

  it('refuses a wrong secret, a link made before a password change, and a new password that breaks the rules', async () => {
    const a = await owner();
    await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: a.email } });
    const secret = await lastLink(a.email);

    const short = await invoke(reset, { method: 'POST', path: '/password/reset', body: { token: secret, password: 'short' } });
    const wrong = await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: 'y'.repeat(43), password: 'long enough' },
    });
    const changed = await invoke(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller: a.caller,
      body: { current_password: PASSWORD, new_password: 'changed meanwhile' },
    });
    const stale = await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: secret, password: 'long enough' },
    });

    expect(short.status).toBe(400);
    expect(short.body.errors[0].pointer).toBe('/password');
    expect(wrong).toMatchObject({ status: 404, body: { code: 'reset_link_invalid' } });
    expect(changed.status).toBe(204);
    expect(stale).toMatchObject({ status: 404, body: { code: 'reset_link_invalid' } });
    expect((await logIn(a.email, 'changed meanwhile')).status).toBe(200);
  });

  it('lets exactly one of concurrent uses of one link through', async () => {
    const a = await owner();
    await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: a.email } });
    const secret = await lastLink(a.email);

    const answers = await Promise.all(
      ['racer one pw', 'racer two pw', 'racer three pw'].map((password) =>
        invoke(reset, { method: 'POST', path: '/password/reset', body: { token: secret, password } }),
      ),
    );

    expect(answers.map((a) => a.status).sort()).toEqual([204, 404, 404]);
    const winners = await Promise.all(
      ['racer one pw', 'racer two pw', 'racer three pw'].map(async (p) => (await logIn(a.email, p)).status),
    );
    expect(winners.filter((s) => s === 200)).toHaveLength(1);
  });

  it('refuses a link past its lifetime', async () => {
    const a = await owner();
    let now = new Date();
    const master = masterDb();
    const orgStores = mongoOrgStores(testClient(), master.databaseName, testPlacements());
    const service = new PasswordResetService({
      users: orgStores.admins,
      tokens: mongoAccountStores(master).accountTokens,
      outbox: new Outbox(mongoOutboxStore(master), async () => new MailboxMailer(MAILBOX, 'no-reply@account.example')),
      hasher: createPasswordHasher(4),
      requestLimit: new LoginThrottle(mongoAttemptLog(master), {
        maxFailuresPerEmail: 99,
        maxFailuresPerIp: 99,
        windowMs: 60_000,
        keyPrefix: 'expiry:',
      }),
      accountUrlBase: 'https://app.example/account',
      ttlMs: 30 * 60_000,
      now: () => now,
    });
    await service.request(a.email);
    const secret = await lastLink(a.email);

    now = new Date(now.getTime() + 30 * 60_000 + 1_000);

    await expect(service.confirm(secret, 'too late now')).rejects.toMatchObject({ code: 'reset_link_invalid' });
    expect((await logIn(a.email, PASSWORD)).status).toBe(200);
  });

  it('limits requests per address (429 with Retry-After), for unknown addresses too', async () => {
    for (const email of ['limited@account.example', (await owner()).email]) {
      const answers = [];
      for (let i = 0; i < 4; i += 1) {
        answers.push(await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email } }));
      }
      expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429]);
      expect(answers[3]?.headers['retry-after']).toMatch(/^\d+$/);
    }
  });
});

describe('Email verification', () => {
  it('sends a link at sign-up; following it marks the address verified, once', async () => {
    const a = await owner();
    expect(await profile(a.caller)).toMatchObject({ email: a.email, email_verified: false });
    const secret = await lastLink(a.email);
    expect((await mailTo(a.email)).at(-1)?.text).toContain('https://app.example/account/verify-email?token=');

    const verified = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: secret } });
    const again = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: secret } });

    expect(verified).toMatchObject({ status: 200, body: { email: a.email, email_verified: true } });
    expect(again).toMatchObject({ status: 404, body: { code: 'verification_link_invalid' } });
    expect(await profile(a.caller)).toMatchObject({ email_verified: true });
    const resend = await invoke(resendVerification, { method: 'POST', path: '/me/email/verification', caller: a.caller });
    expect(resend).toMatchObject({ status: 409, body: { code: 'email_verified' } });
  });

  it('moves the account to a new address only once that address is verified, telling the old one', async () => {
    const a = await owner();
    const next = `moved${seq}@account.example`;

    const wrong = await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: next, password: 'not mine' },
    });
    const asked = await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: next, password: PASSWORD },
    });

    expect(wrong).toMatchObject({ status: 403, body: { code: 'wrong_password' } });
    expect(asked).toMatchObject({ status: 202, body: { email: a.email, pending_email: next } });
    expect((await mailTo(a.email)).at(-1)?.text).toContain(`to ${next}. Nothing changes until that address confirms`);
    // Nothing moved yet: the old address still signs in, the new one does not.
    expect((await logIn(a.email, PASSWORD)).status).toBe(200);
    expect((await logIn(next, PASSWORD)).status).toBe(401);

    const verified = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: await lastLink(next) } });

    expect(verified).toMatchObject({ status: 200, body: { email: next, email_verified: true } });
    expect((await logIn(a.email, PASSWORD)).status).toBe(401);
    expect((await logIn(next, PASSWORD)).status).toBe(200);
    expect((await mailTo(a.email)).at(-1)?.text).toContain(`is now ${next}`);
    expect(await profile(a.caller)).toMatchObject({ email: next, email_verified: true });
    expect((await profile(a.caller)).pending_email).toBeUndefined();
  });

  it('refuses a change to a taken address, and a link overtaken by a later change', async () => {
    const a = await owner();
    const b = await owner();
    const taken = await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: b.email, password: PASSWORD },
    });
    await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: `first${seq}@account.example`, password: PASSWORD },
    });
    const first = await lastLink(`first${seq}@account.example`);
    await invoke(changeEmail, {
      method: 'POST',
      path: '/me/email',
      caller: a.caller,
      body: { email: `second${seq}@account.example`, password: PASSWORD },
    });

    const overtaken = await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: first } });

    expect(taken).toMatchObject({ status: 409, body: { code: 'email_taken' } });
    expect(overtaken).toMatchObject({ status: 404, body: { code: 'verification_link_invalid' } });
    expect(await profile(a.caller)).toMatchObject({ email: a.email, pending_email: `second${seq}@account.example` });
  });

  it('counts an accepted invitation as proof of the invited address', async () => {
    const a = await owner();
    const invited = `invited${seq}@account.example`;
    await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: a.caller,
      body: { email: invited, role: 'member' },
    });

    const accepted = await invoke(acceptInvitation, {
      method: 'POST',
      path: '/invitations/accept',
      body: { token: await lastLink(invited), password: 'an invited password' },
    });

    expect(accepted.status).toBe(200);
    expect(await profile(await contextOf(accepted.body.access_token))).toMatchObject({ email: invited, email_verified: true });
  });
});

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

describe('Two-factor authentication', () => {
  it('enrols with the password, shows an otpauth URI and a QR code once, and turns on with a first code', async () => {
    const a = await owner();
    const refused = await invoke(enrolTwoFactor, {
      method: 'POST',
      path: '/me/two-factor',
      caller: a.caller,
      body: { password: 'wrong' },
    });

    const { started, recoveryCodes } = await enrol(a);

    expect(refused).toMatchObject({ status: 403, body: { code: 'wrong_password' } });
    expect(started.otpauth_uri).toMatch(
      /^otpauth:\/\/totp\/[^?]+\?issuer=[^&]+&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/,
    );
    expect(started.otpauth_uri).toContain(encodeURIComponent(a.email));
    expect(Buffer.from(started.qr_code.replace('data:image/svg+xml;base64,', ''), 'base64').toString()).toMatch(/^<svg/);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await profile(a.caller)).toMatchObject({ two_factor_enabled: true, session_two_factor: false });
    const stored = JSON.stringify(await masterDb().collection(C.admins).findOne({ email: a.email }));
    for (const code of recoveryCodes) expect(stored).not.toContain(code);
  });

  it('answers login with a challenge; a code completes it once, and the same code is refused after', async () => {
    const a = await owner();
    const { secret } = await enrol(a);

    const first = await logIn(a.email, PASSWORD);
    const code = nextCode(secret);
    const completed = await complete(first.body.challenge, code);
    const reused = await complete(first.body.challenge, code);
    const second = await logIn(a.email, PASSWORD);
    const replayed = await complete(second.body.challenge, code);

    expect(first.body).toEqual({ two_factor_required: true, challenge: expect.any(String), challenge_expires_in: 300 });
    expect(first.body.access_token).toBeUndefined();
    expect(completed).toMatchObject({ status: 200, body: { token_type: 'Bearer', organization_id: a.orgId } });
    expect(await profile(await contextOf(completed.body.access_token))).toMatchObject({ session_two_factor: true });
    expect(reused).toMatchObject({ status: 401, body: { code: 'challenge_invalid' } });
    expect(replayed).toMatchObject({ status: 401, body: { code: 'invalid_code' } });
    // The session keeps its second factor across a refresh.
    const refreshed = await invoke(refresh, {
      method: 'POST',
      path: '/admin/refresh',
      body: { refresh_token: completed.body.refresh_token },
    });
    expect(await profile(await contextOf(refreshed.body.access_token))).toMatchObject({ session_two_factor: true });
  });

  it('accepts one code once even when it is sent on several challenges at the same moment', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const challenges = await Promise.all([1, 2, 3].map(async () => (await logIn(a.email, PASSWORD)).body.challenge));
    const code = nextCode(secret);

    const answers = await Promise.all(challenges.map((challenge) => complete(challenge, code)));

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401, 401]);
  });

  it('takes each recovery code once, in any case and with or without its dash', async () => {
    const a = await owner();
    const { recoveryCodes } = await enrol(a);
    const code = recoveryCodes[0] ?? '';

    const used = await complete((await logIn(a.email, PASSWORD)).body.challenge, code.toUpperCase().replace('-', ' '));
    const again = await complete((await logIn(a.email, PASSWORD)).body.challenge, code);

    expect(used.status).toBe(200);
    expect(again).toMatchObject({ status: 401, body: { code: 'invalid_code' } });
    const stored = await masterDb().collection(C.admins).findOne({ email: a.email });
    expect(stored?.twoFactor.recoveryCodeHashes).toHaveLength(9);
  });

  it('counts wrong codes toward the lockout, which a correct password does not lift', async () => {
    const a = await owner();
    const { secret } = await enrol(a);

    const statuses = [];
    for (let i = 0; i < 6; i += 1) {
      const challenge = await logIn(a.email, PASSWORD);
      statuses.push(challenge.status === 200 ? (await complete(challenge.body.challenge, '000000')).status : challenge.status);
    }
    const locked = await logIn(a.email, PASSWORD);

    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    expect(locked.status).toBe(429);
    expect(nextCode(secret)).toMatch(/^\d{6}$/);
  });

  it('turns off only with the password and a code', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const body = (password: string, code: string) => ({
      method: 'POST',
      path: '/me/two-factor/disable',
      caller: a.caller,
      body: { password, code },
    });

    const wrongPassword = await invoke(disableTwoFactor, body('wrong', nextCode(secret)));
    const wrongCode = await invoke(disableTwoFactor, body(PASSWORD, '000000'));
    const done = await invoke(disableTwoFactor, body(PASSWORD, nextCode(secret)));

    expect(wrongPassword).toMatchObject({ status: 403, body: { code: 'wrong_password' } });
    expect(wrongCode).toMatchObject({ status: 403, body: { code: 'invalid_code' } });
    expect(done.status).toBe(204);
    expect((await logIn(a.email, PASSWORD)).body.access_token).toEqual(expect.any(String));
  });
});

describe("The organization's two-factor policy", () => {
  it('an owner requires it from a two-factor session; members without it may manage their account but not act on the organization', async () => {
    const a = await owner();
    const { secret } = await enrol(a);
    const withoutSecondFactor = await invoke(orgSecurity, {
      method: 'PUT',
      path: '/org/security',
      caller: a.caller,
      body: { require_two_factor: true },
    });
    const session = await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
    const ownerCaller = await contextOf(session.body.access_token);

    const set = await invoke(orgSecurity, {
      method: 'PUT',
      path: '/org/security',
      caller: ownerCaller,
      body: { require_two_factor: true },
    });

    expect(withoutSecondFactor).toMatchObject({ status: 409, body: { code: 'two_factor_not_enabled' } });
    expect(set).toMatchObject({ status: 200, body: { organization_id: a.orgId, require_two_factor: true } });

    const invited = `policy${seq}@account.example`;
    await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: ownerCaller,
      body: { email: invited, role: 'member' },
    });
    const joined = await invoke(acceptInvitation, {
      method: 'POST',
      path: '/invitations/accept',
      body: { token: await lastLink(invited), password: 'member password' },
    });
    const member = await contextOf(joined.body.access_token);

    const write = await invoke(createRecord, { method: 'POST', path: '/org/records', caller: member, body: { a: 1 } });
    const own = await profile(member);
    const ownerWrite = await invoke(createRecord, { method: 'POST', path: '/org/records', caller: ownerCaller, body: { a: 1 } });

    expect(write).toMatchObject({ status: 403, body: { code: 'two_factor_required' } });
    expect(write.body.detail).toContain('POST /me/two-factor');
    expect(own).toMatchObject({ two_factor_required: true, two_factor_enabled: false });
    expect(ownerWrite.status).toBe(201);

    // Enrolled and logged in again with the code, the member acts.
    const { secret: memberSecret } = await enrol({ caller: member }, 'member password');
    const again = await complete((await logIn(invited, 'member password')).body.challenge, nextCode(memberSecret));
    const allowed = await invoke(createRecord, {
      method: 'POST',
      path: '/org/records',
      caller: await contextOf(again.body.access_token),
      body: { a: 2 },
    });
    expect(allowed.status).toBe(201);
  });

  it('is set by owners only (organization:security)', async () => {
    const a = await owner();
    const asAdmin = await invoke(orgSecurity, {
      method: 'PUT',
      path: '/org/security',
      caller: { ...a.caller, role: 'admin', permissions: undefined } as never,
      body: { require_two_factor: false },
    });
    expect(asAdmin).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
  });
});

describe('Account events in the audit log', () => {
  it("records each change of a member's account in the organization's log, once, by the user", async () => {
    const a = await owner();
    const next = `events${seq}@account.example`;
    await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: await lastLink(a.email) } });
    const { secret, recoveryCodes } = await enrol(a);
    await complete((await logIn(a.email, PASSWORD)).body.challenge, nextCode(secret));
    const off = await invoke(disableTwoFactor, {
      method: 'POST',
      path: '/me/two-factor/disable',
      caller: a.caller,
      body: { password: PASSWORD, code: recoveryCodes[0] },
    });
    expect(off.status).toBe(204);
    await invoke(changeEmail, { method: 'POST', path: '/me/email', caller: a.caller, body: { email: next, password: PASSWORD } });
    await invoke(verifyEmail, { method: 'POST', path: '/email/verify', body: { token: await lastLink(next) } });
    await invoke(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller: a.caller,
      body: { current_password: PASSWORD, new_password: 'the second password' },
    });
    await invoke(forgot, { method: 'POST', path: '/password/forgot', body: { email: next } });
    await invoke(reset, {
      method: 'POST',
      path: '/password/reset',
      body: { token: await lastLink(next), password: 'the third password' },
    });
    const reader = (await tokensOf(next, 'the third password')).caller;

    const answer = await invoke(auditLog, { method: 'GET', path: '/org/audit-log', caller: reader, query: { limit: '100' } });

    expect(answer.status).toBe(200);
    const account = (answer.body.events as { type: string; actor: { id?: string }; target: { id: string }; data: object }[])
      .filter((e) => e.target.id === a.caller.userId && e.type !== 'login.succeeded' && e.type !== 'organization.created')
      .reverse();
    expect(account.map((e) => e.type)).toEqual([
      'email.verified',
      'two_factor.enabled',
      'two_factor.disabled',
      'email.changed',
      'password.changed',
      'password.reset',
    ]);
    for (const event of account) expect(event.actor.id).toBe(a.caller.userId);
    const logins = (answer.body.events as { type: string; data: { second_factor?: string } }[]).filter(
      (e) => e.type === 'login.succeeded',
    );
    expect(logins.some((e) => e.data.second_factor === 'totp')).toBe(true);
    expect(JSON.stringify(answer.body)).not.toContain(secret);
  });
});

describe('Logging', () => {
  it('never logs a link secret, a challenge, a TOTP secret, a recovery code or a password', async () => {
    const secrets = new Set<string>([PASSWORD, 'a brand new one', 'member password', 'an invited password']);
    for (const message of await mailboxMessages(MAILBOX)) {
      for (const match of message.text.matchAll(/token=([\w-]{43})/g)) if (match[1]) secrets.add(match[1]);
    }
    const users = await masterDb()
      .collection(C.admins)
      .find({ twoFactor: { $exists: true } })
      .toArray();
    for (const user of users) secrets.add(user.twoFactor.secret);
    for (const challenge of challengesSeen) secrets.add(challenge);
    for (const code of recoveryCodesSeen) secrets.add(code);
    const text = logged.join('\n');

    expect(logged.length).toBeGreaterThan(50);
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret), 'a secret reached the logs').toBe(false);
  });
});
