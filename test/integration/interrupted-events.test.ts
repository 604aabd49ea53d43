import { beforeAll, describe, expect, it } from 'vitest';
import { EmailVerificationService } from '#core/account/email-verification.ts';
import { accountAudit } from '#core/account/events.ts';
import { PasswordResetService } from '#core/account/password-reset.ts';
import { totpCode } from '#core/account/totp.ts';
import { TwoFactorService } from '#core/account/two-factor.ts';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { SessionService } from '#core/auth/sessions.ts';
import { LoginThrottle } from '#core/auth/throttle.ts';
import { eventLogOn } from '#core/events/index.ts';
import { InvitationsService } from '#core/invitations/service.ts';
import { Outbox } from '#core/mail/outbox.ts';
import { permissionsOf } from '#core/members/permissions.ts';
import { type Actor, MembersService } from '#core/members/service.ts';
import { mongoAccountStores } from '#core/mongo/account-stores.ts';
import { mongoAttemptLog, mongoAuthStores } from '#core/mongo/auth-stores.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoInvitationStore } from '#core/mongo/invitation-store.ts';
import { mongoMemberLockStore } from '#core/mongo/member-lock-store.ts';
import { mongoOutboxStore } from '#core/mongo/outbox-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import { masterDb, testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { tokenIn } from '../support/mailbox.ts';
import { addMember } from '../support/members.ts';

/**
 * The events of the member, invitation and token changes, interrupted at every store call they make
 * (as the organization operations are in interrupted-operations.ts): "fail", that one call throws;
 * "crash", that call and every later one throw, as if the container died there. Then the reconciler
 * settles what is pending. Whatever the point, the state and the log agree: the change happened if
 * and only if its event is committed, and nothing stays pending.
 */

useTestDatabase();

const LEASE_MS = 60_000;
const clock = { t: Date.parse('2026-02-01T00:00:00Z') };
const now = () => new Date(clock.t);
const hasher = createPasswordHasher(4);

class InjectedFault extends Error {}

type Stores = ReturnType<typeof realStores>;

function realStores() {
  const org = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
  return {
    ...org,
    memberLocks: mongoMemberLockStore(masterDb()),
    invitations: mongoInvitationStore(masterDb()),
    revocations: mongoAuthStores(masterDb()).revocations,
    accountTokens: mongoAccountStores(masterDb()).accountTokens,
    usedCodes: mongoAccountStores(masterDb()).usedCodes,
    challenges: mongoAccountStores(masterDb()).loginChallenges,
  };
}

let stores: Stores;
beforeAll(() => {
  stores = realStores();
});

/** The stores with call `failAt` failing (and, with `crash`, every later one); `calls` counts them. */
function faulty(plan: { failAt: number; crash: boolean } | null) {
  const calls: string[] = [];
  const wrap = <T extends object>(store: T, name: string): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(key)}`);
          const n = calls.length;
          if (plan && (n === plan.failAt || (plan.crash && n > plan.failAt))) {
            return Promise.reject(new InjectedFault(`fault at call ${n} (${name}.${String(key)})`));
          }
          return value.apply(target, args);
        };
      },
    });
  const wrapped = Object.fromEntries(Object.entries(stores).map(([name, s]) => [name, wrap(s as object, name)])) as Stores;
  return { stores: wrapped, calls };
}

const eventsOver = (s: Stores) => eventLogOn(s, { retentionMs: 86_400_000, now });

function members(s: Stores) {
  return new MembersService({
    memberships: s.memberships,
    roles: s.roles,
    memberLocks: s.memberLocks,
    users: s.admins,
    events: eventsOver(s),
    now,
    lockWaitMs: 20,
  });
}

let sent: string[] = [];
function invitations(s: Stores) {
  return new InvitationsService({
    invitations: s.invitations,
    memberships: s.memberships,
    roles: s.roles,
    users: s.admins,
    orgs: s.orgs,
    outbox: new Outbox(mongoOutboxStore(masterDb()), async () => ({ send: async (m) => void sent.push(m.text) }), { now }),
    inviteUrlBase: 'https://app.example/join',
    ttlMs: 3_600_000,
    memberLimit: 1_000,
    events: eventsOver(s),
    now,
  });
}

function sessions(s: Stores) {
  return new SessionService({
    admins: s.admins,
    orgs: s.orgs,
    memberships: s.memberships,
    refreshTokens: s.sessions as never,
    revocations: s.revocations,
    refreshTtlMs: 3_600_000,
    events: eventsOver(s),
    now,
  });
}

const outboxOf = () =>
  new Outbox(mongoOutboxStore(masterDb()), async () => ({ send: async (m) => void sent.push(m.text) }), { now });
const noLimit = () =>
  new LoginThrottle(mongoAttemptLog(masterDb()), { maxFailuresPerEmail: 1_000, maxFailuresPerIp: 1_000, windowMs: 60_000 });

function passwords(s: Stores) {
  return new PasswordResetService({
    users: s.admins,
    tokens: s.accountTokens,
    outbox: outboxOf(),
    hasher,
    requestLimit: noLimit(),
    accountUrlBase: 'https://app.example/account',
    ttlMs: 3_600_000,
    audit: accountAudit(eventsOver(s), s.memberships),
    now,
  });
}

function addresses(s: Stores) {
  return new EmailVerificationService({
    users: s.admins,
    tokens: s.accountTokens,
    outbox: outboxOf(),
    hasher,
    accountUrlBase: 'https://app.example/account',
    ttlMs: 3_600_000,
    audit: accountAudit(eventsOver(s), s.memberships),
    now,
  });
}

function twoFactor(s: Stores) {
  return new TwoFactorService({
    users: s.admins,
    usedCodes: s.usedCodes,
    challenges: s.challenges,
    hasher,
    issuer: 'orgs-service',
    challengeTtlMs: 300_000,
    audit: accountAudit(eventsOver(s), s.memberships),
    now,
  });
}

let seq = 0;

/** A new organization with its owner (as an actor) and one member. */
async function scene() {
  seq += 1;
  const orgs = new OrganizationService({
    stores,
    hasher,
    placements: testPlacements(),
    leaseMs: LEASE_MS,
    now,
    events: eventsOver(stores),
  });
  const { org } = await orgs.create({ name: `events ${seq}`, email: `owner${seq}@ie.example`, password: 'owner password' });
  const owner: Actor = { userId: org.adminId, orgId: org.id, role: 'owner', permissions: permissionsOf('owner') };
  const member = await addMember(org.id, `member${seq}@ie.example`, 'member');
  return { org, owner, member };
}

type Scene = Awaited<ReturnType<typeof scene>>;

interface Case {
  readonly name: string;
  readonly type: string;
  /** Anything the run needs made first (outside the faults). */
  readonly prepare?: (scene: Scene) => Promise<Record<string, string>>;
  readonly run: (s: Stores, scene: Scene, prepared: Record<string, string>) => Promise<unknown>;
  /** Whether the change is in the database now. */
  readonly happened: (scene: Scene, prepared: Record<string, string>) => Promise<boolean>;
}

const cases: Case[] = [
  {
    name: 'a role change',
    type: 'member.role_changed',
    run: (s, { owner, member }) => members(s).changeRole(owner, member.userId, 'admin'),
    happened: async ({ org, member }) => (await stores.memberships.find(org.id, member.userId))?.role === 'admin',
  },
  {
    name: 'a removal',
    type: 'member.removed',
    run: (s, { owner, member }) => members(s).remove(owner, member.userId),
    happened: async ({ org, member }) => (await stores.memberships.find(org.id, member.userId)) === null,
  },
  {
    name: 'an ownership transfer',
    type: 'ownership.transferred',
    run: (s, { owner, member }) => members(s).transferOwnership(owner, member.userId),
    happened: async ({ org, member }) => (await stores.memberships.find(org.id, member.userId))?.role === 'owner',
  },
  {
    name: 'an invitation',
    type: 'member.invited',
    run: (s, { owner }) => invitations(s).invite(owner, `invitee${seq}@ie.example`, 'member'),
    happened: async ({ org }) => (await stores.invitations.findOpen(org.id, `invitee${seq}@ie.example`)) !== null,
  },
  {
    name: 'a join',
    type: 'member.joined',
    prepare: async ({ owner }) => {
      const elsewhere = await scene(); // a user of another organization, invited to this one
      const other = await addMember(elsewhere.org.id, `joiner${seq}@ie.example`);
      sent = [];
      await invitations(stores).invite(owner, other.email, 'member');
      return { userId: other.userId, token: tokenIn(sent.at(-1) ?? '') };
    },
    run: (s, { org }, p) => invitations(s).acceptAsUser({ userId: p.userId ?? '', orgId: org.id }, p.token ?? ''),
    happened: async ({ org }, p) => (await stores.memberships.find(org.id, p.userId ?? '')) !== null,
  },
  {
    name: 'a logout everywhere',
    type: 'tokens.revoked',
    run: (s, { owner }) => sessions(s).logoutEverywhere(owner),
    happened: async ({ owner }) => ((await stores.admins.findById(owner.userId))?.tokenVersion ?? 0) > 0,
  },
  {
    name: 'a password change',
    type: 'password.changed',
    run: (s, { owner }) => passwords(s).change(owner.userId, 'owner password', 'a new owner password'),
    happened: async ({ owner }) => ((await stores.admins.findById(owner.userId))?.tokenVersion ?? 0) > 0,
  },
  {
    name: 'a change of address',
    type: 'email.changed',
    prepare: async ({ owner }) => {
      sent = [];
      await addresses(stores).requestChange(owner.userId, `moved${seq}@ie.example`, 'owner password');
      return { token: tokenIn(sent.find((text) => text.includes('token=')) ?? '') };
    },
    run: (s, _scene, p) => addresses(s).verify(p.token ?? ''),
    happened: async ({ owner }) => (await stores.admins.findById(owner.userId))?.email === `moved${seq}@ie.example`,
  },
  {
    name: 'turning two-factor authentication on',
    type: 'two_factor.enabled',
    prepare: async ({ owner }) => ({ secret: (await twoFactor(stores).begin(owner.userId, 'owner password')).secret }),
    run: (s, { owner }, p) => twoFactor(s).confirm(owner.userId, totpCode(p.secret ?? '', now())),
    happened: async ({ owner }) => (await stores.admins.findById(owner.userId))?.twoFactor?.enabledAt !== undefined,
  },
];

const modes = [
  { mode: 'fail', crash: false },
  { mode: 'crash', crash: true },
] as const;

describe.each(modes)('Events of interrupted changes ($mode)', ({ crash }) => {
  it.each(cases)('$name: committed exactly when the change happened, at every step', { timeout: 120_000 }, async (c) => {
    const probeScene = await scene();
    const probe = faulty(null);
    await c.run(probe.stores, probeScene, (await c.prepare?.(probeScene)) ?? {});
    const steps = probe.calls.length;
    expect(steps).toBeGreaterThanOrEqual(3);

    for (let failAt = 1; failAt <= steps; failAt += 1) {
      const current = await scene();
      const prepared = (await c.prepare?.(current)) ?? {};
      const outcome = await c.run(faulty({ failAt, crash }).stores, current, prepared).then(
        () => 'done' as const,
        (error: unknown) => error,
      );
      if (outcome !== 'done') expect(outcome, `call ${failAt}`).toBeInstanceOf(InjectedFault);

      clock.t += LEASE_MS + 1;
      await eventsOver(stores).settleDue(LEASE_MS);

      const happened = await c.happened(current, prepared);
      if (outcome === 'done') expect(happened, `acknowledged at call ${failAt}`).toBe(true);
      const log = await masterDb().collection(C.events).find({ orgId: current.org.id, type: c.type }).toArray();
      expect(
        log.map((e) => e.state),
        `${c.type} after call ${failAt} (${happened ? 'happened' : 'did not happen'})`,
      ).toEqual(happened ? ['committed'] : []);
    }
  });
});
