import { EmailVerificationService } from './account/email-verification.ts';
import { accountAudit } from './account/events.ts';
import { PasswordResetService } from './account/password-reset.ts';
import type { AccountStores } from './account/stores.ts';
import { TwoFactorService } from './account/two-factor.ts';
import { AuditedLoginService } from './auth/audited-login.ts';
import type { LoginService } from './auth/login.ts';
import { createPasswordHasher } from './auth/passwords.ts';
import { SessionService } from './auth/sessions.ts';
import type { AuthStores } from './auth/stores.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { createTokenSigner } from './auth/tokens.ts';
import { once } from './cache.ts';
import { database } from './compose/database.ts';
import { keyMaterial } from './compose/keys.ts';
import { planBook } from './compose/limits.ts';
import { mailerFor } from './compose/mail.ts';
import {
  accountConfig,
  databaseConfig,
  eventsConfig,
  guardConfig,
  invitationsConfig,
  jobsConfig,
  limitsConfig,
  mailConfig,
  orgsConfig,
  placementConfig,
  sessionConfig,
  signerConfig,
} from './config.ts';
import { EventBridgeBus } from './events/bus.ts';
import { eventLogOn } from './events/index.ts';
import type { EventLog } from './events/log.ts';
import { InvitationsService } from './invitations/service.ts';
import type { InvitationStore } from './invitations/stores.ts';
import { localJobQueue } from './jobs/local-queue.ts';
import type { JobQueue } from './jobs/queue.ts';
import { SqsJobQueue } from './jobs/sqs-queue.ts';
import { UsageService } from './limits/usage.ts';
import { Outbox, type OutboxStore } from './mail/outbox.ts';
import { MembersService } from './members/service.ts';
import type { MemberLockStore } from './members/stores.ts';
import { mongoAccountStores } from './mongo/account-stores.ts';
import { mongoAuthStores } from './mongo/auth-stores.ts';
import { callDatabase, withUnavailableMapping } from './mongo/errors.ts';
import { mongoInvitationStore } from './mongo/invitation-store.ts';
import { mongoMemberLockStore } from './mongo/member-lock-store.ts';
import { type MigrationReport, migrateAdminsToMembers } from './mongo/migrations.ts';
import { mongoOutboxStore } from './mongo/outbox-store.ts';
import { MongoRecordStore, withPlaceGoneMapping } from './mongo/record-store.ts';
import { mongoOrgStores } from './mongo/stores.ts';
import { mongoMeterStore, mongoPlanStore, mongoUsageStore } from './mongo/usage-store.ts';
import { mongoWebhookStore } from './mongo/webhook-store.ts';
import { type JobsOptions, OrganizationService } from './orgs/service.ts';
import type { OrgStores } from './orgs/stores.ts';
import { RecordsService } from './records/service.ts';
import type { RecordStore } from './records/stores.ts';
import { PlacementPolicy } from './tenancy/placement-policy.ts';
import { Dispatcher } from './webhooks/dispatcher.ts';
import { WebhooksService } from './webhooks/service.ts';
import type { WebhookStore } from './webhooks/stores.ts';

/**
 * The composition root: real stores over the container's one MongoClient. Each factory reads its
 * configuration when a handler module calls it (at cold start, where a bad setting fails fast); the
 * client and keys on first use (indexes are the deploy-time setup's, see compose/setup.ts).
 */

export interface Stores {
  readonly org: OrgStores;
  /** The member-list locks (memberships and roles are in `org`). */
  readonly memberLocks: MemberLockStore;
  readonly auth: AuthStores;
  /** One-time links, login challenges, used codes. */
  readonly account: AccountStores;
  readonly records: RecordStore;
  readonly invitations: InvitationStore;
  readonly outbox: OutboxStore;
  readonly webhooks: WebhookStore;
}

/** How a function that names places makes a collection name readable; see {@link PlacementPolicy}. */
export interface NamingOptions {
  readonly label?: (slug: string) => string;
}

/** Where this deployment puts organizations' data (PLACEMENT_MODE, TENANT_DB_NAME). */
export function placementPolicy(options: NamingOptions = {}): PlacementPolicy {
  return new PlacementPolicy(databaseConfig().tenantDb, placementConfig().mode, options.label);
}

export function storesFactory(): () => Promise<Stores> {
  const db = database();
  const policy = placementPolicy();
  return once(async () => {
    const { client, master } = await db();
    return {
      org: mongoOrgStores(client, master.databaseName, policy),
      memberLocks: mongoMemberLockStore(master),
      auth: mongoAuthStores(master),
      account: mongoAccountStores(master),
      records: withUnavailableMapping(withPlaceGoneMapping(new MongoRecordStore(client))),
      invitations: mongoInvitationStore(master),
      outbox: mongoOutboxStore(master),
      webhooks: mongoWebhookStore(master),
    };
  });
}

/**
 * The event log over `s` (EVENT_RETENTION_DAYS): every service that changes something records to it.
 * Cheap to make: it holds the stores only.
 */
export function eventLogOf(s: Stores, retentionMs: number = eventsConfig().retentionMs): EventLog {
  return eventLogOn({ ...s.org, invitations: s.invitations }, { retentionMs });
}

/** The event log for the audit-log routes (EVENT_RETENTION_DAYS). */
export function auditLog(): () => Promise<EventLog> {
  const stores = storesFactory();
  const { retentionMs } = eventsConfig();
  return once(async () => eventLogOf(await stores(), retentionMs));
}

/** The webhook endpoint use cases, for the webhooks-* handlers (WEBHOOK_ALLOW_LOOPBACK). */
export function webhooks(): () => Promise<WebhooksService> {
  const stores = storesFactory();
  const { retentionMs, allowLoopback } = eventsConfig();
  return once(async () => {
    const s = await stores();
    return new WebhooksService({ webhooks: s.webhooks, events: eventLogOf(s, retentionMs), allowLoopback });
  });
}

/** The dispatcher, for its scheduled function and `npm start` (EVENT_BUS_NAME, WEBHOOK_ALLOW_LOOPBACK). */
export function dispatcher(): () => Promise<Dispatcher> {
  const stores = storesFactory();
  const { retentionMs, allowLoopback, busName } = eventsConfig();
  return once(async () => {
    const s = await stores();
    return new Dispatcher(
      {
        events: s.org.events,
        webhooks: s.webhooks,
        eventLog: eventLogOf(s, retentionMs),
        ...(busName ? { bus: new EventBridgeBus(busName) } : {}),
      },
      { retentionMs, allowLoopback },
    );
  });
}

/**
 * The organization use cases, for the org-* handlers. Those that name places (create, rename, move,
 * reconcile) pass `label` (`collectionLabel`); the others need not load it.
 */
export function organizations(options: NamingOptions = {}): () => Promise<OrganizationService> {
  return organizationsOn(storesFactory(), options);
}

function organizationsOn(stores: () => Promise<Stores>, options: NamingOptions): () => Promise<OrganizationService> {
  const orgs = orgsConfig();
  const placements = placementPolicy(options);
  const hasher = createPasswordHasher(orgs.bcryptCost);
  const { retentionMs } = eventsConfig();
  const jobs = jobsOptions();
  return once(async () => {
    const s = await stores();
    return new OrganizationService({
      stores: s.org,
      hasher,
      placements,
      leaseMs: orgs.operationLeaseMs,
      events: eventLogOf(s, retentionMs),
      jobs: { ...jobs, queue: jobs.queue() },
    });
  });
}

/**
 * The jobs engine's settings (JOB_QUEUE_URL, JOB_MAX_ATTEMPTS, JOB_STEP_BUDGET_SECONDS,
 * JOB_BACKOFF_SECONDS). The queue is SQS when JOB_QUEUE_URL is set, else the process's in-process
 * queue when `npm start` runs one, else none (a script works on its jobs itself); it is picked when
 * the service is first used, after the local API has registered its queue.
 */
function jobsOptions(): Omit<JobsOptions, 'queue'> & { queue: () => JobQueue | undefined } {
  const config = jobsConfig();
  const sqs = config.queueUrl ? new SqsJobQueue(config.queueUrl) : undefined;
  return {
    maxAttempts: config.maxAttempts,
    budgetMs: config.budgetMs,
    backoffBaseMs: config.backoffBaseMs,
    queue: () => sqs ?? localJobQueue.current,
  };
}

/** The records use cases, for the records-* handlers. */
export function records(): () => Promise<RecordsService> {
  const { cacheMs } = placementConfig();
  const stores = storesFactory();
  const orgService = organizationsOn(stores, {}); // recovers dead operations a records request meets
  const db = database();
  const plans = planBook();
  return once(async () => {
    const s = await stores();
    const recovery = await orgService();
    const { master } = await db();
    const book = await plans();
    return new RecordsService({
      orgs: s.org.orgs,
      quota: { meter: mongoMeterStore(master), limitOf: async (orgId) => (await book.of(orgId)).plan.quotas.records },
      records: s.records,
      // A place is removed only while no organization uses it or moves data to or from it; its name is
      // never used again, so it cannot become live after that check.
      releasePlace: async (place) => {
        if (!(await s.org.orgs.isPlaceInUse(place))) await s.org.tenants.drop(place);
      },
      recoverAbandoned: (orgId) => recovery.recoverAbandoned(orgId),
      cacheMs,
    });
  });
}

function sessionsWith(stores: () => Promise<Stores>, options: { signing: boolean }): () => Promise<SessionService> {
  const { keyMaxAgeMs } = guardConfig();
  const { refreshTtlMs } = sessionConfig();
  const { retentionMs } = eventsConfig();
  let signer: ReturnType<typeof createTokenSigner> | undefined;
  if (options.signing) {
    const tokens = signerConfig();
    signer = createTokenSigner({ ...tokens, privateKey: keyMaterial(tokens.privateKey, keyMaxAgeMs), keyMaxAgeMs });
  }
  return once(async () => {
    const s = await stores();
    return new SessionService({
      admins: s.org.admins,
      orgs: s.org.orgs,
      memberships: s.org.memberships,
      refreshTokens: s.auth.refreshTokens,
      revocations: s.auth.revocations,
      signer,
      refreshTtlMs,
      events: eventLogOf(s, retentionMs),
    });
  });
}

/** Refresh (which signs new tokens), for the admin-refresh handler. */
export function sessions(): () => Promise<SessionService> {
  return sessionsWith(storesFactory(), { signing: true });
}

/** Logout and logout everywhere, for the admin-logout* handlers: no signing key needed. */
export function logouts(): () => Promise<SessionService> {
  return sessionsWith(storesFactory(), { signing: false });
}

/** The members and roles use cases, for the members-*, roles-* and org-leave/transfer handlers. */
export function members(): () => Promise<MembersService> {
  const stores = storesFactory();
  const { retentionMs } = eventsConfig();
  return once(async () => {
    const s = await stores();
    return new MembersService({
      memberships: s.org.memberships,
      roles: s.org.roles,
      memberLocks: s.memberLocks,
      users: s.org.admins,
      events: eventLogOf(s, retentionMs),
    });
  });
}

/**
 * The master database's data migrations (`mongo/migrations.ts`), for the reconciler: what an older
 * function version wrote during a deploy is migrated within one reconciler period.
 */
export function dataMigrations(): () => Promise<MigrationReport> {
  const db = database();
  return async () => {
    const { master } = await db();
    return callDatabase(() => migrateAdminsToMembers(master));
  };
}

/** The login lockout (LOGIN_MAX_FAILURES_PER_EMAIL, LOGIN_MAX_FAILURES_PER_IP, LOGIN_FAILURE_WINDOW_SECONDS). */
function loginThrottleOn(s: Stores): LoginThrottle {
  const limits = sessionConfig();
  return new LoginThrottle(s.auth.attempts, {
    maxFailuresPerEmail: limits.maxFailuresPerEmail,
    maxFailuresPerIp: limits.maxFailuresPerIp,
    windowMs: limits.failureWindowMs,
  });
}

/** The limit on account emails asked for (resets, verifications), per address and per source, under `prefix`. */
function mailLimitOn(s: Stores, prefix: string): LoginThrottle {
  const settings = accountConfig();
  return new LoginThrottle(s.auth.attempts, {
    maxFailuresPerEmail: settings.maxMailsPerEmail,
    maxFailuresPerIp: settings.maxMailsPerIp,
    windowMs: settings.mailWindowMs,
    keyPrefix: prefix,
    refusal: 'Too many emails asked for; try again later.',
  });
}

/** The login use case, for the admin-login handler. */
export function logins(): () => Promise<LoginService> {
  const orgs = orgsConfig();
  sessionConfig();
  const settings = accountConfig();
  const stores = storesFactory();
  const sessionService = sessionsWith(stores, { signing: true });
  const hasher = createPasswordHasher(orgs.bcryptCost);
  const { retentionMs } = eventsConfig();
  return once(async (): Promise<LoginService> => {
    const s = await stores();
    const twoFactor = new TwoFactorService({
      users: s.org.admins,
      usedCodes: s.account.usedCodes,
      challenges: s.account.loginChallenges,
      issuer: settings.totpIssuer,
      challengeTtlMs: settings.challengeTtlMs,
    });
    return new AuditedLoginService(
      { admins: s.org.admins, hasher, sessions: await sessionService(), throttle: loginThrottleOn(s), twoFactor },
      eventLogOf(s, retentionMs),
    );
  });
}

/** What a two-factor function does besides confirming an enrolment. */
export interface TwoFactorOptions {
  /** Enrols and turns off: compares passwords. */
  readonly passwords?: boolean;
  /** Completes logins: signs tokens. */
  readonly signing?: boolean;
}

/** Two-factor authentication, for the two-factor-* and login-two-factor handlers. */
export function twoFactor(options: TwoFactorOptions = {}): () => Promise<TwoFactorService> {
  const settings = accountConfig();
  sessionConfig();
  const hasher = options.passwords ? createPasswordHasher(orgsConfig().bcryptCost) : undefined;
  const stores = storesFactory();
  const sessionService = options.signing ? sessionsWith(stores, { signing: true }) : undefined;
  return once(async () => {
    const s = await stores();
    return new TwoFactorService({
      users: s.org.admins,
      usedCodes: s.account.usedCodes,
      challenges: s.account.loginChallenges,
      loginThrottle: loginThrottleOn(s),
      issuer: settings.totpIssuer,
      challengeTtlMs: settings.challengeTtlMs,
      audit: accountAudit(eventLogOf(s), s.org.memberships),
      events: eventLogOf(s),
      ...(hasher ? { hasher } : {}),
      ...(sessionService ? { sessions: await sessionService() } : {}),
    });
  });
}

/** Password reset, for the password-forgot and password-reset handlers (MAILER, MAIL_FROM, ACCOUNT_URL_BASE). */
export function passwordResets(): () => Promise<PasswordResetService> {
  const settings = accountConfig();
  const mail = mailConfig();
  const mailer = mailerFor(mail);
  const hasher = createPasswordHasher(orgsConfig().bcryptCost);
  sessionConfig();
  const stores = storesFactory();
  return once(async () => {
    const s = await stores();
    return new PasswordResetService({
      users: s.org.admins,
      tokens: s.account.accountTokens,
      outbox: new Outbox(s.outbox, mailer),
      hasher,
      requestLimit: mailLimitOn(s, 'reset:'),
      loginThrottle: loginThrottleOn(s),
      accountUrlBase: mail.accountUrlBase,
      ttlMs: settings.resetTtlMs,
      audit: accountAudit(eventLogOf(s), s.org.memberships),
    });
  });
}

/** What an email verification function does besides following links and sending them. */
export interface EmailVerificationOptions {
  /** Asks for a change of address: compares the current password. */
  readonly passwords?: boolean;
}

/** Email verification, for org-create (the sign-up link), email-verify and the me-email* handlers. */
export function emailVerifications(options: EmailVerificationOptions = {}): () => Promise<EmailVerificationService> {
  const settings = accountConfig();
  const mail = mailConfig();
  const mailer = mailerFor(mail);
  const hasher = options.passwords ? createPasswordHasher(orgsConfig().bcryptCost) : undefined;
  sessionConfig();
  const stores = storesFactory();
  return once(async () => {
    const s = await stores();
    return new EmailVerificationService({
      users: s.org.admins,
      tokens: s.account.accountTokens,
      outbox: new Outbox(s.outbox, mailer),
      loginThrottle: loginThrottleOn(s),
      requestLimit: mailLimitOn(s, 'verify:'),
      accountUrlBase: mail.accountUrlBase,
      ttlMs: settings.verificationTtlMs,
      audit: accountAudit(eventLogOf(s), s.org.memberships),
      ...(hasher ? { hasher } : {}),
    });
  });
}

/** The email outbox (invitation emails), for the reconciler: MAILER, MAIL_FROM, MAILBOX_DIR. */
export function outbox(): () => Promise<Outbox> {
  const mailer = mailerFor(mailConfig());
  const stores = storesFactory();
  return once(async () => new Outbox((await stores()).outbox, mailer));
}

/** What an invitations function does besides reading and revoking. */
export interface InvitationsOptions {
  /** Invites: sends email (MAILER, MAIL_FROM, INVITE_URL_BASE). */
  readonly mail?: boolean;
  /** Accepts with a password: hashes and compares passwords, signs tokens, uses the login throttle. */
  readonly passwords?: boolean;
}

/** The invitations use cases, for the invitations-* handlers. */
export function invitations(options: InvitationsOptions = {}): () => Promise<InvitationsService> {
  const settings = invitationsConfig();
  const mail = options.mail ? mailConfig() : undefined;
  const mailer = mail ? mailerFor(mail) : undefined;
  const stores = storesFactory();
  const plans = planBook();
  const sessionService = options.passwords ? sessionsWith(stores, { signing: true }) : undefined;
  const limits = options.passwords ? sessionConfig() : undefined;
  const hasher = options.passwords ? createPasswordHasher(orgsConfig().bcryptCost) : undefined;
  const { retentionMs } = eventsConfig();
  return once(async () => {
    const s = await stores();
    return new InvitationsService({
      invitations: s.invitations,
      memberships: s.org.memberships,
      roles: s.org.roles,
      users: s.org.admins,
      orgs: s.org.orgs,
      ttlMs: settings.ttlMs,
      memberLimit: settings.memberLimit,
      events: eventLogOf(s, retentionMs),
      memberQuotaOf: async (orgId) => (await (await plans()).of(orgId)).plan.quotas.members,
      ...(mail && mailer ? { outbox: new Outbox(s.outbox, mailer), inviteUrlBase: mail.inviteUrlBase } : {}),
      ...(hasher ? { hasher } : {}),
      ...(sessionService ? { sessions: await sessionService() } : {}),
      ...(limits ? { throttle: loginThrottleOn(s) } : {}),
    });
  });
}

/** The usage and plan use cases: GET /org/usage and the operator's scripts. */
export function usage(): () => Promise<UsageService> {
  const config = limitsConfig();
  const stores = storesFactory();
  const db = database();
  const plans = planBook();
  return once(async () => {
    const s = await stores();
    const { master } = await db();
    return new UsageService({
      usage: mongoUsageStore(master),
      meters: mongoMeterStore(master),
      planStore: mongoPlanStore(master),
      plans: await plans(),
      stagePlans: config.plans,
      orgs: s.org.orgs,
      memberships: s.org.memberships,
      onPlanChanged: async (change) => {
        await eventLogOf(s).record({
          orgId: change.orgId,
          type: 'plan.changed',
          actor: { type: 'system' },
          target: { type: 'organization', id: change.orgId },
          data: { from: change.from, to: change.to, by: change.by, ...(change.reason ? { reason: change.reason } : {}) },
        });
      },
    });
  });
}

export { tokenGuard } from './compose/guard.ts';
export { admission, planBook } from './compose/limits.ts';
