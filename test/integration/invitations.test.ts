import { rm } from 'node:fs/promises';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { eventLogOn } from '#core/events/index.ts';
import { InvitationsService } from '#core/invitations/service.ts';
import { logger } from '#core/log.ts';
import { Outbox } from '#core/mail/outbox.ts';
import { SesMailer } from '#core/mail/ses-mailer.ts';
import { permissionsOf } from '#core/members/permissions.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoInvitationStore } from '#core/mongo/invitation-store.ts';
import { mongoOutboxStore } from '#core/mongo/outbox-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as acceptPublic } from '../../functions/invitations-accept/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as listInvitations } from '../../functions/invitations-list/handler.ts';
import { handler as revokeInvitation } from '../../functions/invitations-revoke/handler.ts';
import { handler as acceptAsUser } from '../../functions/me-invitations-accept/handler.ts';
import { handler as switchOrg } from '../../functions/me-switch/handler.ts';
import { handler as createRole } from '../../functions/roles-create/handler.ts';
import { handler as deleteRole } from '../../functions/roles-delete/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import type { TestCaller } from '../support/callers.ts';
import { masterDb, testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { latestInvitationToken, mailboxMessages, tokenIn } from '../support/mailbox.ts';

/**
 * Invitations end to end on the real database: the route handlers as Lambda runs them, email into a
 * local mailbox folder (this file's own), and the service itself with an injected clock where time
 * matters. Only SES is mocked (aws-sdk-client-mock).
 */

const MAILBOX = vi.hoisted(() => {
  const dir = `${process.cwd()}/.local/test-mailbox-${process.pid}-${Math.random().toString(36).slice(2)}`;
  process.env.MAILER = 'mailbox';
  process.env.MAILBOX_DIR = dir;
  process.env.INVITE_URL_BASE = 'https://app.example/join';
  return dir;
});

useTestDatabase();

afterAll(async () => {
  await rm(MAILBOX, { recursive: true, force: true });
});

const PASSWORD = 'owner password';

/** A new organization and its owner as a route caller. */
async function organization(name: string, email: string): Promise<TestCaller & { email: string; name: string }> {
  const created = await createOrganization(name, email, PASSWORD);
  const tokens = await logIn(email, PASSWORD);
  const context = await authorizeToken(tokens.access_token);
  if (!context) throw new Error('the owner token was refused');
  return { userId: context.userId, orgId: created.organization_id, role: 'owner', email, name };
}

const invite = (caller: TestCaller, email: string, role = 'member') =>
  invoke(createInvitation, { method: 'POST', path: '/org/invitations', caller, body: { email, role } });
const list = (caller: TestCaller, query: Record<string, string> = {}) =>
  invoke(listInvitations, { method: 'GET', path: '/org/invitations', caller, query });
const revoke = (caller: TestCaller, id: string) =>
  invoke(revokeInvitation, {
    method: 'DELETE',
    path: `/org/invitations/${id}`,
    params: { invitation_id: id },
    caller,
  });
const accept = (token: string, password: string) =>
  invoke(acceptPublic, { method: 'POST', path: '/invitations/accept', body: { token, password } });
const acceptAs = (caller: TestCaller, token: string) =>
  invoke(acceptAsUser, { method: 'POST', path: '/me/invitations/accept', caller, body: { token } });
const tokenFor = (email: string) => latestInvitationToken(MAILBOX, email);

const invalid = { status: 404, body: expect.objectContaining({ code: 'invitation_invalid' }) };

let acme: Awaited<ReturnType<typeof organization>>;
let globex: Awaited<ReturnType<typeof organization>>;

beforeAll(async () => {
  acme = await organization('Invite Acme', 'owner@acme.example');
  globex = await organization('Invite Globex', 'owner@globex.example');
});

describe('Inviting', () => {
  it('answers 201 with the invitation and its Location, never the secret, and mails the link', async () => {
    const answer = await invite(acme, '  New.Person@Example.com ', 'admin');

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      invitation_id: expect.stringMatching(/^[0-9a-f]{24}$/),
      email: 'new.person@example.com',
      role: 'admin',
      status: 'pending',
      created_at: expect.any(String),
      expires_at: expect.any(String),
    });
    expect(answer.headers.location).toBe(`/org/invitations/${answer.body.invitation_id}`);
    const ttl = Date.parse(answer.body.expires_at) - Date.parse(answer.body.created_at);
    expect(ttl).toBe(7 * 24 * 3_600_000);
    const mail = (await mailboxMessages(MAILBOX)).filter((m) => m.to === 'new.person@example.com');
    expect(mail).toHaveLength(1);
    const token = tokenIn(mail[0]?.text ?? '');
    expect(JSON.stringify(answer)).not.toContain(token);
    expect(mail[0]?.text).toContain(`https://app.example/join?token=${token}`);
    expect(mail[0]?.text).toContain('owner@acme.example invited you to join Invite Acme as admin');
    // Stored only as its hash; the sent message keeps no body.
    const stored = await masterDb().collection(C.invitations).findOne({ email: 'new.person@example.com' });
    expect(JSON.stringify(stored)).not.toContain(token);
    const queued = await masterDb().collection(C.outbox).findOne({ to: 'new.person@example.com' });
    expect(queued).toMatchObject({ state: 'sent', attempts: 1 });
    expect(queued?.text).toBeUndefined();
  });

  it('refuses a current member (already_member) and a second pending invitation (already_invited)', async () => {
    expect((await invite(acme, 'owner@acme.example')).body.code).toBe('already_member');
    expect((await invite(acme, 'twice@example.com')).status).toBe(201);

    const again = await invite(acme, 'twice@example.com', 'admin');

    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_invited');
    // The same email may be invited by another organization meanwhile.
    expect((await invite(globex, 'twice@example.com')).status).toBe(201);
  });

  it('allows a new invitation once the pending one is revoked', async () => {
    const first = await invite(acme, 'again@example.com');
    expect((await revoke(acme, first.body.invitation_id)).status).toBe(204);

    const second = await invite(acme, 'again@example.com');

    expect(second.status).toBe(201);
    expect(second.body.invitation_id).not.toBe(first.body.invitation_id);
  });

  it('lets only an owner invite as owner, and nobody invite with a role beyond their own', async () => {
    const admin = { ...acme, role: 'admin' };
    const narrow = { ...acme, role: 'inviter', permissions: ['invitations:manage', 'members:read'] };

    const asOwner = await invite(admin, 'boss@example.com', 'owner');
    const escalating = await invite(narrow, 'worker@example.com', 'member');
    const unknown = await invite(acme, 'who@example.com', 'wizard');

    expect(asOwner.status).toBe(403);
    expect(asOwner.body.code).toBe('owner_only');
    expect(escalating.status).toBe(403);
    expect(escalating.body.code).toBe('role_exceeds_yours');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_role');
    expect((await invite(acme, 'boss@example.com', 'owner')).status).toBe(201);
  });

  it('refuses a caller without invitations:manage (403 permission_denied), and bad input with a 400 problem', async () => {
    const member = { ...acme, role: 'member' };

    expect((await invite(member, 'x@example.com')).status).toBe(403);
    expect((await list(member)).status).toBe(403);
    expect((await invite(acme, 'not an email')).body.errors[0].pointer).toBe('/email');
    expect((await list(acme, { status: 'lost' })).status).toBe(400);
    expect((await revoke(acme, 'nope')).status).toBe(400);
  });
});

describe('Accepting', () => {
  it('creates the user with the password, answers tokens for the organization, and the user can log in', async () => {
    await invite(acme, 'fresh@example.com', 'admin');

    const accepted = await accept(await tokenFor('fresh@example.com'), 'a fresh password');

    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      token_type: 'Bearer',
      organization_id: acme.orgId,
      organization_name: 'Invite Acme',
      role: 'admin',
      organizations: [{ organization_id: acme.orgId, organization_name: 'Invite Acme', role: 'admin' }],
    });
    const context = await authorizeToken(accepted.body.access_token);
    expect(context).toMatchObject({ orgId: acme.orgId });
    expect((await logIn('fresh@example.com', 'a fresh password')).organization_id).toBe(acme.orgId);
  });

  it("applies the new-password rules to a new user's password", async () => {
    await invite(acme, 'short@example.com');

    const answer = await accept(await tokenFor('short@example.com'), 'short');

    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([{ pointer: '/password', message: 'must be at least 8 characters' }]);
    expect(await masterDb().collection(C.admins).countDocuments({ email: 'short@example.com' })).toBe(0);
    // The invitation still works.
    expect((await accept(await tokenFor('short@example.com'), 'long enough now')).status).toBe(200);
  });

  it("asks an existing user for their own password: a wrong one is login's 401, the right one joins both organizations", async () => {
    await invite(acme, 'owner@globex.example', 'member');
    const token = await tokenFor('owner@globex.example');
    const wrongLogin = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'owner@globex.example', password: 'not the password' },
    });

    const wrong = await accept(token, 'not the password');
    const right = await accept(token, PASSWORD);

    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(wrongLogin.body);
    expect(wrong.headers['www-authenticate']).toBe('Bearer');
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ organization_id: acme.orgId, role: 'member' });
    expect(right.body.organizations.map((o: { organization_id: string }) => o.organization_id).sort()).toEqual(
      [acme.orgId, globex.orgId].sort(),
    );
    const relogin = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'owner@globex.example', password: PASSWORD },
    });
    expect(relogin.body.organizations).toHaveLength(2);
  });

  it('lets a logged-in user accept an invitation to their email, then switch to the organization', async () => {
    const peter = await organization('Invite Initech', 'peter@initech.example');
    await invite(acme, 'peter@initech.example', 'admin');
    const token = await tokenFor('peter@initech.example');

    const joined = await acceptAs(peter, token);
    const switched = await invoke(switchOrg, {
      method: 'POST',
      path: '/me/switch',
      caller: peter,
      body: { organization_id: acme.orgId },
    });

    expect(joined.status).toBe(200);
    expect(joined.body).toEqual({ organization_id: acme.orgId, organization_name: 'Invite Acme', role: 'admin' });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ organization_id: acme.orgId, role: 'admin' });
    // Used once: the same secret again is refused, through either route.
    expect(await acceptAs(peter, token)).toMatchObject(invalid);
    expect(await accept(token, PASSWORD)).toMatchObject(invalid);
  });

  it('refuses an invitation sent to another email (403 invitation_not_for_you) and leaves it usable', async () => {
    const bob = await organization('Invite Bob Co', 'bob@bob.example');
    await invite(acme, 'alice@alice.example');
    const token = await tokenFor('alice@alice.example');

    const answer = await acceptAs(bob, token);

    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe('invitation_not_for_you');
    expect((await accept(token, 'alice password')).status).toBe(200);
  });

  it('refuses a second accept, a revoked invitation and an unknown or malformed secret with one 404', async () => {
    await invite(acme, 'once@example.com');
    const once = await tokenFor('once@example.com');
    const revoked = await invite(acme, 'revoked@example.com');
    const revokedToken = await tokenFor('revoked@example.com');
    expect((await accept(once, 'once password')).status).toBe(200);
    expect((await revoke(acme, revoked.body.invitation_id)).status).toBe(204);

    for (const token of [once, revokedToken, 'A'.repeat(43), 'not-a-token']) {
      const answer = await accept(token, 'whatever password');
      expect(answer, token).toMatchObject(invalid);
    }
    expect(await masterDb().collection(C.admins).countDocuments({ email: 'revoked@example.com' })).toBe(0);
  });

  it('gives `member` when the custom role was deleted before the invitation was accepted', async () => {
    const role = await invoke(createRole, {
      method: 'POST',
      path: '/org/roles',
      caller: acme,
      body: { name: 'support', permissions: ['records:read'] },
    });
    expect(role.status).toBe(201);
    expect((await invite(acme, 'support@example.com', 'support')).status).toBe(201);
    const deleted = await invoke(deleteRole, {
      method: 'DELETE',
      path: '/org/roles/support',
      params: { name: 'support' },
      caller: acme,
    });
    expect(deleted.status).toBe(204);

    const accepted = await accept(await tokenFor('support@example.com'), 'support password');

    expect(accepted.status).toBe(200);
    expect(accepted.body.role).toBe('member');
  });

  it('accepts one token exactly once among 20 concurrent accepts', async () => {
    await invite(acme, 'racer@example.com');
    const token = await tokenFor('racer@example.com');

    const answers = await Promise.all(Array.from({ length: 20 }, () => accept(token, 'racer password')));

    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 200)) expect(answer).toMatchObject(invalid);
    const users = await masterDb().collection(C.admins).find({ email: 'racer@example.com' }).toArray();
    expect(users).toHaveLength(1);
    expect(await masterDb().collection(C.memberships).countDocuments({ userId: users[0]?._id })).toBe(1);
    expect(await masterDb().collection(C.invitations).findOne({ email: 'racer@example.com' })).toMatchObject({
      status: 'accepted',
    });
  });

  it('lets exactly one of a revoke and an accept racing on one invitation win', async () => {
    for (let round = 0; round < 5; round += 1) {
      const email = `duel${round}@example.com`;
      const created = await invite(acme, email);
      const token = await tokenFor(email);

      const [revoked, accepted] = await Promise.all([revoke(acme, created.body.invitation_id), accept(token, 'duel password')]);

      const stored = await masterDb().collection(C.invitations).findOne({ email });
      if (accepted.status === 200) {
        expect(revoked.status).toBe(409);
        expect(revoked.body.code).toBe('invitation_accepted');
        expect(stored?.status).toBe('accepted');
      } else {
        expect(revoked.status).toBe(204);
        expect(accepted).toMatchObject(invalid);
        expect(stored?.status).toBe('revoked');
        expect(await masterDb().collection(C.admins).countDocuments({ email })).toBe(0);
      }
    }
  });
});

describe('Listing and revoking', () => {
  it('lists newest first, a page at a time, filtered by status', async () => {
    const owner = await organization('Invite List Co', 'lister@list.example');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await invite(owner, `l${n}@list.example`)).body.invitation_id);
    expect((await revoke(owner, ids[0] ?? '')).status).toBe(204);

    const first = await list(owner, { limit: '2' });
    const second = await list(owner, { limit: '2', cursor: first.body.next_cursor });
    const pending = await list(owner, { status: 'pending' });
    const revoked = await list(owner, { status: 'revoked' });

    expect(first.body.invitations.map((i: { invitation_id: string }) => i.invitation_id)).toEqual([ids[2], ids[1]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    expect(second.body).toMatchObject({ invitations: [{ invitation_id: ids[0], status: 'revoked' }], next_cursor: null });
    expect(second.body.invitations[0].closed_at).toEqual(expect.any(String));
    expect(pending.body.invitations).toHaveLength(2);
    expect(revoked.body.invitations).toHaveLength(1);
  });

  it("keeps organizations apart: another organization's invitation is 404 to revoke and absent from the list", async () => {
    const theirs = await invite(globex, 'theirs@example.com');

    const listed = await list(acme, { limit: '100' });
    const revoked = await revoke(acme, theirs.body.invitation_id);

    expect(listed.body.invitations.map((i: { email: string }) => i.email)).not.toContain('theirs@example.com');
    expect(revoked.status).toBe(404);
    expect(revoked.body.code).toBe('invitation_not_found');
    const still = await list(globex, { status: 'pending' });
    expect(still.body.invitations.map((i: { email: string }) => i.email)).toContain('theirs@example.com');
    expect((await accept(await tokenFor('theirs@example.com'), 'theirs password')).status).toBe(200);
  });

  it('answers 409 for revoking an accepted invitation and 204 for revoking a revoked one again', async () => {
    const created = await invite(acme, 'accepted@example.com');
    await accept(await tokenFor('accepted@example.com'), 'accepted password');
    const other = await invite(acme, 'revoke-twice@example.com');

    expect((await revoke(acme, created.body.invitation_id)).status).toBe(409);
    expect((await revoke(acme, other.body.invitation_id)).status).toBe(204);
    expect((await revoke(acme, other.body.invitation_id)).status).toBe(204);
    expect((await revoke(acme, '0123456789abcdef01234567')).status).toBe(404);
  });
});

/** The service over this file's database, with a clock of its own and a mailer that keeps what it sends. */
function serviceAt(clock: { now: number }, options: { memberLimit?: number } = {}) {
  const stores = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
  const sent: { to: string; text: string }[] = [];
  const now = () => new Date(clock.now);
  const service = new InvitationsService({
    invitations: mongoInvitationStore(masterDb()),
    memberships: stores.memberships,
    roles: stores.roles,
    users: stores.admins,
    orgs: stores.orgs,
    outbox: new Outbox(mongoOutboxStore(masterDb()), async () => ({ send: async (m) => void sent.push(m) }), { now }),
    inviteUrlBase: 'https://app.example/join',
    hasher: createPasswordHasher(4),
    ttlMs: 3_600_000,
    memberLimit: options.memberLimit ?? 10_000,
    events: eventLogOn(stores, { retentionMs: 86_400_000, now }),
    now,
  });
  const tokenTo = (to: string) => tokenIn(sent.filter((m) => m.to === to).at(-1)?.text ?? '');
  return { service, tokenTo };
}

const actor = (caller: TestCaller) => ({ ...caller, role: 'owner', permissions: permissionsOf('owner') });

describe('Expiry and the member limit', () => {
  it('accepts at ttl - 1 ms, refuses at ttl + 1 ms, and lets an expired invitation be replaced', async () => {
    const owner = await organization('Invite Clock Co', 'clock@clock.example');
    const early = await organization('Invite Early Co', 'early@early.example');
    const late = await organization('Invite Late Co', 'late@late.example');
    const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
    const { service, tokenTo } = serviceAt(clock);
    const start = clock.now;
    await service.invite(actor(owner), 'early@early.example', 'member');
    await service.invite(actor(owner), 'late@late.example', 'member');

    clock.now = start + 3_600_000 - 1;
    const joined = await service.acceptAsUser(early, tokenTo('early@early.example'));
    clock.now = start + 3_600_000 + 1;
    const expired = service.acceptAsUser(late, tokenTo('late@late.example'));

    expect(joined.role).toBe('member');
    await expect(expired).rejects.toMatchObject({ code: 'invitation_invalid' });
    const listed = await service.list(owner, 10, { status: 'expired' });
    expect(listed.items.map((i) => i.email)).toEqual(['late@late.example']);
    const again = await service.invite(actor(owner), 'late@late.example', 'member');
    expect((await service.acceptAsUser(late, tokenTo('late@late.example'))).org.id).toBe(owner.orgId);
    expect(again.invitation.expiresAt.getTime()).toBe(clock.now + 3_600_000);
  });

  it('checks the member limit when inviting and when accepting (409 member_limit)', async () => {
    const owner = await organization('Invite Limit Co', 'limit@limit.example');
    const a = await organization('Invite Limit A', 'a@limit-a.example');
    const b = await organization('Invite Limit B', 'b@limit-b.example');
    const { service, tokenTo } = serviceAt({ now: Date.now() }, { memberLimit: 2 });
    await service.invite(actor(owner), 'a@limit-a.example', 'member');
    await service.invite(actor(owner), 'b@limit-b.example', 'member');

    await service.acceptAsUser(a, tokenTo('a@limit-a.example'));

    await expect(service.acceptAsUser(b, tokenTo('b@limit-b.example'))).rejects.toMatchObject({ code: 'member_limit' });
    await expect(service.invite(actor(owner), 'c@limit-c.example', 'member')).rejects.toMatchObject({
      code: 'member_limit',
    });
  });
});

describe('The outbox', () => {
  const outboxAt = (clock: { now: number }, mailer: () => Promise<void>) =>
    new Outbox(mongoOutboxStore(masterDb()), async () => ({ send: mailer }), {
      now: () => new Date(clock.now),
      maxAttempts: 3,
      baseDelayMs: 1_000,
      leaseMs: 60_000,
    });
  const message = (to: string) => ({ to, subject: 'Join us', text: 'https://app.example/join?token=SECRET-IN-THE-BODY' });

  it('retries a failed send with backoff, then gives it up, removing the body and logging no secret', async () => {
    const clock = { now: Date.parse('2031-01-01T00:00:00Z') };
    const start = clock.now;
    const outbox = outboxAt(clock, () => Promise.reject(new Error('SES says no')));
    const logged: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
    );
    // The logger reads LOG_LEVEL once, when it loads: set its level for this test instead.
    const level = logger.getLevelName();
    logger.setLogLevel('WARN');
    const doc = () => masterDb().collection(C.outbox).findOne({ to: 'retry@example.com' });
    try {
      expect(await outbox.enqueueAndSend('0123456789abcdef0000aaaa', message('retry@example.com'))).toBe(false);
      expect(await doc()).toMatchObject({ state: 'queued', attempts: 1, text: expect.any(String) });
      expect((await doc())?.nextAttemptAt.getTime()).toBe(start + 1_000);

      clock.now = start + 999;
      expect(await outbox.drain()).toEqual({ sent: 0, failed: 0, abandoned: 0 });
      clock.now = start + 1_000;
      expect(await outbox.drain()).toEqual({ sent: 0, failed: 1, abandoned: 0 });
      expect((await doc())?.nextAttemptAt.getTime()).toBe(start + 1_000 + 2_000);
      clock.now = start + 3_000;
      expect(await outbox.drain()).toEqual({ sent: 0, failed: 0, abandoned: 1 });
    } finally {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel(level);
    }
    expect(await doc()).toMatchObject({ state: 'failed', attempts: 3, failedAt: new Date(start + 3_000) });
    expect((await doc())?.text).toBeUndefined();
    expect(logged.some((line) => line.includes('email given up'))).toBe(true);
    expect(logged.join('\n')).not.toContain('SECRET-IN-THE-BODY');
  });

  it('sends what a failed first attempt left behind on the next drain', async () => {
    const clock = { now: Date.parse('2032-01-01T00:00:00Z') };
    let up = false;
    const delivered: string[] = [];
    const outbox = outboxAt(clock, async () => {
      if (!up) throw new Error('not yet');
      delivered.push('later@example.com');
    });
    await outbox.enqueueAndSend('0123456789abcdef0000bbbb', message('later@example.com'));
    up = true;
    clock.now += 1_000;

    expect(await outbox.drain()).toEqual({ sent: 1, failed: 0, abandoned: 0 });

    expect(delivered).toEqual(['later@example.com']);
    const doc = await masterDb().collection(C.outbox).findOne({ to: 'later@example.com' });
    expect(doc).toMatchObject({ state: 'sent', attempts: 2 });
    expect(doc?.text).toBeUndefined();
  });
});

describe('Amazon SES', () => {
  it('sends SendEmail from MAIL_FROM to the invited email, with a link whose token accepts', async () => {
    const ses = mockClient(SESv2Client);
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1' });
    try {
      const stores = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
      const service = new InvitationsService({
        invitations: mongoInvitationStore(masterDb()),
        memberships: stores.memberships,
        roles: stores.roles,
        users: stores.admins,
        orgs: stores.orgs,
        outbox: new Outbox(mongoOutboxStore(masterDb()), async () => new SesMailer('no-reply@acme.example')),
        inviteUrlBase: 'https://app.example/join',
        ttlMs: 3_600_000,
        memberLimit: 10_000,
        events: eventLogOn(stores, { retentionMs: 86_400_000 }),
      });

      const { mailed } = await service.invite(actor(acme), 'ses@example.com', 'member');

      expect(mailed).toBe(true);
      const calls = ses.commandCalls(SendEmailCommand);
      expect(calls).toHaveLength(1);
      const input = calls[0]?.args[0].input;
      expect(input).toMatchObject({
        FromEmailAddress: 'no-reply@acme.example',
        Destination: { ToAddresses: ['ses@example.com'] },
        Content: { Simple: { Subject: { Data: 'You are invited to join Invite Acme' } } },
      });
      const text = input?.Content?.Simple?.Body?.Text?.Data ?? '';
      expect(text).toContain('https://app.example/join?token=');
      const accepted = await accept(tokenIn(text), 'ses password');
      expect(accepted.status).toBe(200);
      expect(accepted.body.organization_id).toBe(acme.orgId);
    } finally {
      ses.restore();
    }
  });
});
