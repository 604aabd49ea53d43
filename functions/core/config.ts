import { ConfigError } from './errors.ts';
import { DEFAULT_PLAN, DEFAULT_PLANS, type Plans, planProblems } from './limits/plans.ts';
import { PLACEMENT_MODES, type PlacementMode } from './orgs/model.ts';
import { TENANT_DB_NAME_MAX } from './tenancy/limits.ts';

/**
 * Configuration, read from the environment once per container and checked at cold start: a bad
 * setting fails there with one line per problem. Each concern reads only what it needs, so the
 * authorizer does not require database settings. Plain checks rather than a schema library: every
 * function reads its configuration, the authorizer included, and pays for what it loads.
 */

type Env = Record<string, string | undefined>;

/** Reads variables of one concern, collecting every problem before it throws. */
class EnvReader {
  readonly #env: Env;
  readonly #problems: string[] = [];

  constructor(env: Env) {
    this.#env = env;
  }

  #value(name: string): string | undefined {
    return this.#env[name];
  }

  problem(name: string, message: string): void {
    this.#problems.push(`  ${name}: ${message}`);
  }

  /** A non-empty string, or `fallback` when unset. */
  text(name: string, fallback?: string): string | undefined {
    const value = this.#value(name);
    if (value === undefined) return fallback;
    if (value.length === 0) this.problem(name, 'must not be empty');
    return value;
  }

  /** A whole number in `[min, max]`, or `fallback` when unset. */
  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.#value(name);
    if (value === undefined) return fallback;
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isSafeInteger(n)) this.problem(name, 'must be a whole number');
    else if (n < min) this.problem(name, `must be at least ${min}`);
    else if (n > max) this.problem(name, `must be at most ${max}`);
    return n;
  }

  /** One of `values`, or `fallback` when unset. */
  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.#value(name);
    if (value === undefined) return fallback;
    if (!(values as readonly string[]).includes(value)) this.problem(name, `must be one of ${values.join(', ')}`);
    return value as T;
  }

  /** Throws {@link ConfigError} listing every problem found, if any. */
  done(what: string): void {
    if (this.#problems.length > 0) throw new ConfigError(`Invalid ${what} configuration:\n${this.#problems.join('\n')}`);
  }
}

const DB_NAME = /^[a-zA-Z0-9_-]{1,63}$/;

function dbName(read: EnvReader, name: string, fallback: string, max = 63): string {
  const value = read.text(name, fallback) ?? fallback;
  if (!DB_NAME.test(value)) read.problem(name, 'must match ^[a-zA-Z0-9_-]{1,63}$');
  else if (value.length > max) {
    read.problem(name, `must be at most ${max} characters (organizations' own databases are named <TENANT_DB_NAME>_<place id>)`);
  }
  return value;
}

/** A value given inline (local runs) or kept in Secrets Manager (AWS). */
export interface SecretSource {
  readonly value?: string;
  readonly secretId?: string;
}

/** A secret given inline as `inline` or by Secrets Manager id as `byId`; one of the two is required. */
function secretSource(read: EnvReader, inline: string, byId: string, what: string): SecretSource {
  const value = read.text(inline);
  const secretId = read.text(byId);
  if (value === undefined && secretId === undefined) read.problem(inline, `set ${inline} (${what}) or ${byId}`);
  return { ...(value !== undefined ? { value } : {}), ...(secretId !== undefined ? { secretId } : {}) };
}

export interface DatabaseConfig {
  readonly uri?: string;
  readonly secretId?: string;
  readonly masterDb: string;
  readonly tenantDb: string;
  readonly maxPoolSize: number;
  /** The bound on every wait for an unreachable database, in ms (see `MONGODB_SERVER_SELECTION_TIMEOUT_MS`). */
  readonly serverSelectionTimeoutMS: number;
}

export function databaseConfig(env: Env = process.env): DatabaseConfig {
  const read = new EnvReader(env);
  const uri = read.text('MONGODB_URI');
  const secretId = read.text('MONGODB_SECRET_ID');
  if (uri === undefined && secretId === undefined) {
    read.problem('MONGODB_URI', 'set MONGODB_URI (local runs) or MONGODB_SECRET_ID (the Secrets Manager secret holding the URI)');
  }
  const config = {
    ...(uri !== undefined ? { uri } : {}),
    ...(secretId !== undefined ? { secretId } : {}),
    masterDb: dbName(read, 'MASTER_DB_NAME', 'orgs_master'),
    tenantDb: dbName(read, 'TENANT_DB_NAME', 'orgs_tenants', TENANT_DB_NAME_MAX),
    maxPoolSize: read.int('MONGODB_MAX_POOL_SIZE', 4, 1, 100),
    // The longest a request waits on a database that does not answer before it answers 503: choosing
    // a server, connecting, waiting for a pooled connection, and silence during a call.
    serverSelectionTimeoutMS: read.int('MONGODB_SERVER_SELECTION_TIMEOUT_MS', 5_000, 100, 25_000),
  };
  read.done('database');
  return config;
}

export interface OrgsConfig {
  readonly bcryptCost: number;
  readonly operationLeaseMs: number;
}

export function orgsConfig(env: Env = process.env): OrgsConfig {
  const read = new EnvReader(env);
  const bcryptCost = read.int('BCRYPT_COST', 12, 4, 15);
  if (env.NODE_ENV !== 'test' && bcryptCost < 10) read.problem('BCRYPT_COST', 'must be at least 10 outside tests');
  // How long an operation's run may go without renewing its lease before another may take it over.
  const operationLeaseMs = read.int('OPERATION_LEASE_SECONDS', 120, 1, 3_600) * 1_000;
  read.done('organizations');
  return { bcryptCost, operationLeaseMs };
}

export interface PlacementConfig {
  readonly mode: PlacementMode;
  readonly cacheMs: number;
}

export function placementConfig(env: Env = process.env): PlacementConfig {
  const read = new EnvReader(env);
  const config = {
    // Where new organizations' data goes: `collection` (one in TENANT_DB_NAME) or `database` (their own).
    mode: read.oneOf('PLACEMENT_MODE', PLACEMENT_MODES, 'collection'),
    // How long a container may reuse an organization's placement before reading it again.
    cacheMs: read.int('PLACEMENT_CACHE_SECONDS', 5, 0, 60) * 1_000,
  };
  read.done('placement');
  return config;
}

export interface VerifierConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly publicKeys: SecretSource;
}

export function verifierConfig(env: Env = process.env): VerifierConfig {
  const read = new EnvReader(env);
  const config = {
    issuer: read.text('JWT_ISSUER', 'orgs-service') ?? 'orgs-service',
    audience: read.text('JWT_AUDIENCE', 'orgs-api') ?? 'orgs-api',
    publicKeys: secretSource(read, 'JWT_PUBLIC_KEYS', 'JWT_PUBLIC_KEYS_SECRET_ID', 'a JWK Set'),
  };
  read.done('token verification');
  return config;
}

export interface SignerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly privateKey: SecretSource;
  readonly ttlSeconds: number;
}

export function signerConfig(env: Env = process.env): SignerConfig {
  const read = new EnvReader(env);
  const config = {
    issuer: read.text('JWT_ISSUER', 'orgs-service') ?? 'orgs-service',
    audience: read.text('JWT_AUDIENCE', 'orgs-api') ?? 'orgs-api',
    privateKey: secretSource(read, 'JWT_PRIVATE_KEY', 'JWT_PRIVATE_KEY_SECRET_ID', 'a private JWK'),
    ttlSeconds: read.int('JWT_TTL_SECONDS', 1_800, 60, 86_400),
  };
  read.done('token signing');
  return config;
}

export interface SessionConfig {
  readonly refreshTtlMs: number;
  readonly maxFailuresPerEmail: number;
  readonly maxFailuresPerIp: number;
  readonly failureWindowMs: number;
}

export function sessionConfig(env: Env = process.env): SessionConfig {
  const read = new EnvReader(env);
  const config = {
    refreshTtlMs: read.int('REFRESH_TOKEN_TTL_SECONDS', 14 * 86_400, 300, 90 * 86_400) * 1_000,
    maxFailuresPerEmail: read.int('LOGIN_MAX_FAILURES_PER_EMAIL', 10, 1, 1_000),
    maxFailuresPerIp: read.int('LOGIN_MAX_FAILURES_PER_IP', 100, 1, 100_000),
    failureWindowMs: read.int('LOGIN_FAILURE_WINDOW_SECONDS', 900, 1, 86_400) * 1_000,
  };
  read.done('session');
  return config;
}

export interface GuardConfig {
  readonly revocationCacheMs: number;
  readonly keyMaxAgeMs: number;
}

export function guardConfig(env: Env = process.env): GuardConfig {
  const read = new EnvReader(env);
  const config = {
    // How long the authorizer trusts its last revocation look-up for a token (per container).
    revocationCacheMs: read.int('REVOCATION_CACHE_SECONDS', 5, 0, 60) * 1_000,
    // How often verifiers and signers re-read their keys, so rotations reach running containers.
    keyMaxAgeMs: read.int('JWT_KEYS_MAX_AGE_SECONDS', 300, 0, 3_600) * 1_000,
  };
  read.done('token guard');
  return config;
}

export interface InvitationsConfig {
  /** How long an invitation stays valid (ms); `INVITATION_TTL_HOURS`, 168 (7 days) by default. */
  readonly ttlMs: number;
  /** Members an organization may have at most; `MEMBER_LIMIT`, 10,000 by default. */
  readonly memberLimit: number;
}

export function invitationsConfig(env: Env = process.env): InvitationsConfig {
  const read = new EnvReader(env);
  const config = {
    ttlMs: read.int('INVITATION_TTL_HOURS', 168, 1, 90 * 24) * 3_600_000,
    memberLimit: read.int('MEMBER_LIMIT', 10_000, 1, 1_000_000),
  };
  read.done('invitations');
  return config;
}

/** Where email goes: Amazon SES (AWS) or a folder of files (`npm start`, tests). */
export type MailerKind = 'ses' | 'mailbox';

export interface MailConfig {
  readonly mailer: MailerKind;
  /** The sender (`MAIL_FROM`); with SES, an address of the stage's verified identity. */
  readonly from: string;
  /** The application page an invitation link opens (`INVITE_URL_BASE`); `?token=<secret>` is added. */
  readonly inviteUrlBase: string;
  /**
   * The application's account pages (`ACCOUNT_URL_BASE`): reset links open `<base>/reset-password`,
   * verification links `<base>/verify-email`, each with `?token=<secret>`.
   */
  readonly accountUrlBase: string;
  /** The local mailbox folder (`MAILBOX_DIR`, `.local/mailbox`), for `mailbox`. */
  readonly mailboxDir: string;
}

export function mailConfig(env: Env = process.env): MailConfig {
  const read = new EnvReader(env);
  const mailer = read.oneOf<MailerKind>('MAILER', ['ses', 'mailbox'], 'mailbox');
  const from = read.text('MAIL_FROM', mailer === 'ses' ? undefined : 'no-reply@orgs-service.localhost') ?? '';
  if (mailer === 'ses' && from === '') read.problem('MAIL_FROM', 'set the sender address (a verified SES identity)');
  const inviteUrlBase = read.text('INVITE_URL_BASE', 'http://localhost:5173/invitations/accept') ?? '';
  if (!URL.canParse(inviteUrlBase) || !/^https?:$/.test(new URL(inviteUrlBase).protocol)) {
    read.problem('INVITE_URL_BASE', 'must be an http or https URL');
  }
  const accountUrlBase = read.text('ACCOUNT_URL_BASE', 'http://localhost:5173/account') ?? '';
  if (!URL.canParse(accountUrlBase) || !/^https?:$/.test(new URL(accountUrlBase).protocol)) {
    read.problem('ACCOUNT_URL_BASE', 'must be an http or https URL');
  }
  const mailboxDir = read.text('MAILBOX_DIR', '.local/mailbox') ?? '.local/mailbox';
  read.done('mail');
  return { mailer, from, inviteUrlBase, accountUrlBase, mailboxDir };
}

export interface AccountConfig {
  /** How long a password reset link works (ms); `PASSWORD_RESET_TTL_MINUTES`, 30 by default. */
  readonly resetTtlMs: number;
  /** How long an email verification link works (ms); `EMAIL_VERIFICATION_TTL_HOURS`, 24 by default. */
  readonly verificationTtlMs: number;
  /** Reset (and verification) emails one address may be sent per window; `ACCOUNT_MAIL_MAX_PER_EMAIL`, 5. */
  readonly maxMailsPerEmail: number;
  /** Such requests one source address may make per window; `ACCOUNT_MAIL_MAX_PER_IP`, 50. */
  readonly maxMailsPerIp: number;
  /** The window of those two limits (ms); `ACCOUNT_MAIL_WINDOW_SECONDS`, 3,600. */
  readonly mailWindowMs: number;
  /** How long a login may wait for its second factor (ms); `TWO_FACTOR_CHALLENGE_SECONDS`, 300. */
  readonly challengeTtlMs: number;
  /** The name authenticator apps show for the account (`TOTP_ISSUER`), by default the JWT issuer. */
  readonly totpIssuer: string;
}

export function accountConfig(env: Env = process.env): AccountConfig {
  const read = new EnvReader(env);
  const config = {
    resetTtlMs: read.int('PASSWORD_RESET_TTL_MINUTES', 30, 5, 24 * 60) * 60_000,
    verificationTtlMs: read.int('EMAIL_VERIFICATION_TTL_HOURS', 24, 1, 30 * 24) * 3_600_000,
    maxMailsPerEmail: read.int('ACCOUNT_MAIL_MAX_PER_EMAIL', 5, 1, 1_000),
    maxMailsPerIp: read.int('ACCOUNT_MAIL_MAX_PER_IP', 50, 1, 100_000),
    mailWindowMs: read.int('ACCOUNT_MAIL_WINDOW_SECONDS', 3_600, 60, 86_400) * 1_000,
    challengeTtlMs: read.int('TWO_FACTOR_CHALLENGE_SECONDS', 300, 30, 3_600) * 1_000,
    totpIssuer: read.text('TOTP_ISSUER', env.JWT_ISSUER ?? 'orgs-service') ?? 'orgs-service',
  };
  read.done('account');
  return config;
}

export interface LimitsConfig {
  /** The stage's plans (`PLANS`, JSON; {@link DEFAULT_PLANS} when unset). */
  readonly plans: Plans;
  /** The plan of an organization whose document names none (`DEFAULT_PLAN`). */
  readonly defaultPlan: string;
  /**
   * How long a container reuses an organization's plan before reading it again (ms;
   * `PLAN_CACHE_SECONDS`, 30 by default): a plan change reaches every container within it.
   */
  readonly planCacheMs: number;
}

export function limitsConfig(env: Env = process.env): LimitsConfig {
  const read = new EnvReader(env);
  let plans: Plans = DEFAULT_PLANS;
  const raw = read.text('PLANS');
  if (raw !== undefined) {
    try {
      plans = JSON.parse(raw) as Plans;
      if (typeof plans !== 'object' || plans === null || Array.isArray(plans)) throw new TypeError('not an object');
    } catch {
      read.problem('PLANS', 'must be a JSON object of plans by name');
      plans = DEFAULT_PLANS;
    }
  }
  const defaultPlan = read.text('DEFAULT_PLAN', DEFAULT_PLAN) ?? DEFAULT_PLAN;
  for (const problem of planProblems(plans, defaultPlan)) read.problem(raw === undefined ? 'DEFAULT_PLAN' : 'PLANS', problem);
  const planCacheMs = read.int('PLAN_CACHE_SECONDS', 30, 0, 300) * 1_000;
  read.done('limits');
  return { plans, defaultPlan, planCacheMs };
}

export interface EventsConfig {
  /** How long events stay in the audit log (`EVENT_RETENTION_DAYS`, default 90), in ms. */
  readonly retentionMs: number;
  /** The EventBridge bus the dispatcher puts events on (`EVENT_BUS_NAME`); none: events go to webhooks only. */
  readonly busName?: string;
  /**
   * `WEBHOOK_ALLOW_LOOPBACK=true` lets webhook endpoints be `http://` or `https://` on a loopback
   * address (local runs and tests); never set on a deployed stage.
   */
  readonly allowLoopback: boolean;
}

export function eventsConfig(env: Env = process.env): EventsConfig {
  const read = new EnvReader(env);
  const busName = read.text('EVENT_BUS_NAME');
  const config = {
    retentionMs: read.int('EVENT_RETENTION_DAYS', 90, 1, 3_650) * 86_400_000,
    ...(busName !== undefined ? { busName } : {}),
    allowLoopback: read.oneOf('WEBHOOK_ALLOW_LOOPBACK', ['true', 'false'], 'false') === 'true',
  };
  read.done('events');
  return config;
}

export interface JobsConfig {
  /** The SQS queue that wakes the job worker (`JOB_QUEUE_URL`); unset: jobs run where they are worked on (locally, in-process). */
  readonly queueUrl?: string;
  /** Failures in a row before a job fails for good (`JOB_MAX_ATTEMPTS`, default 8). */
  readonly maxAttempts: number;
  /** How long one worker invocation steps before handing the job back to the queue (`JOB_STEP_BUDGET_SECONDS`, default 240), in ms. */
  readonly budgetMs: number;
  /** The first retry's backoff (`JOB_BACKOFF_SECONDS`, default 2), in ms; doubled per failure up to 15 minutes. */
  readonly backoffBaseMs: number;
}

export function jobsConfig(env: Env = process.env): JobsConfig {
  const read = new EnvReader(env);
  const queueUrl = read.text('JOB_QUEUE_URL');
  const config = {
    ...(queueUrl !== undefined ? { queueUrl } : {}),
    maxAttempts: read.int('JOB_MAX_ATTEMPTS', 8, 1, 100),
    budgetMs: read.int('JOB_STEP_BUDGET_SECONDS', 240, 1, 840) * 1_000,
    backoffBaseMs: read.int('JOB_BACKOFF_SECONDS', 2, 1, 900) * 1_000,
  };
  read.done('jobs');
  return config;
}
