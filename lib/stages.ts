import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_PLANS, type Plans, planProblems } from '../functions/core/limits/plans.ts';

/**
 * One typed configuration per deployment stage. `npx cdk deploy -c stage=<name>` picks one; each
 * stage is its own stack, with its own secrets, functions, API and alarms.
 */

/** Requests per second a stage or route accepts before API Gateway answers 429. */
export interface Throttle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

/** Secrets Manager secrets that already exist, by complete ARN (with the 6-character suffix). */
export interface ImportedSecrets {
  /** The MongoDB connection string. */
  readonly databaseUriArn?: string;
  /** The private Ed25519 signing key, a JWK with `kid` and `alg`. */
  readonly signingKeyArn?: string;
  /** The public JWK Set tokens are verified with. */
  readonly verificationKeysArn?: string;
}

export interface StageConfig {
  /** The stage name given with `-c stage=<name>`. */
  readonly name: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** Prefix of function, log group and secret names, so stages can share an account. */
  readonly resourcePrefix: string;
  /** Databases on the MongoDB deployment the connection string points to. */
  readonly database: {
    readonly masterDbName: string;
    readonly tenantDbName: string;
  };
  /**
   * Secrets to use instead of creating them. A created secret starts empty; its value is put with
   * `aws secretsmanager put-secret-value` after the first deploy.
   */
  readonly importSecrets?: ImportedSecrets;
  /** Retention of the function and access log groups. */
  readonly logRetention: RetentionDays;
  /** What happens to log groups and created secrets when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Share of invocations (0 to 1) logged at `debug` whatever `logLevel` says: Powertools' debug
   * sampling (POWERTOOLS_LOGGER_SAMPLE_RATE), decided anew at each invocation.
   */
  readonly logDebugSampleRate: number;
  /** bcrypt cost; at least 10 (the functions refuse less outside tests). */
  readonly bcryptCost: number;
  /** How long a create, rename or delete may run before another request may settle it. */
  readonly operationLeaseSeconds: number;
  /**
   * How long a deleted organization stays archived, restorable by its owner, before the reconciler
   * purges it, in days (`ARCHIVE_RETENTION_DAYS`).
   */
  readonly archiveRetentionDays: number;
  /** Where new organizations' data goes: a collection each in the tenant database, or a database each. */
  readonly placementMode: 'collection' | 'database';
  readonly jwt: {
    readonly issuer: string;
    readonly audience: string;
    readonly ttlSeconds: number;
  };
  /**
   * The longest a revoked token may still be accepted, in seconds (at most 60): API Gateway's
   * authorizer result cache (per Authorization header) plus the authorizer's own revocation cache.
   * API Gateway's TTL is derived from it; see {@link authorizerCacheTtl}.
   */
  readonly tokenRevocationBoundSeconds: number;
  /** The authorizer's per-container cache of revocation look-ups, in seconds; part of the bound. */
  readonly revocationCacheSeconds: number;
  /** Whether the stage publishes its OpenAPI document (the route-table rows marked `docs`). */
  readonly publishApiDocument: boolean;
  readonly throttling: {
    /** Every route of the stage. */
    readonly default: Throttle;
    /** Routes that hash passwords (sign-up and login): the costly ones and the brute-force target. */
    readonly passwordRoutes: Throttle;
  };
  /** Memory in MB; Lambda allots CPU in proportion (one full vCPU at 1,769 MB). */
  readonly memory: {
    readonly standard: number;
    /** Functions that hash passwords on every call. bcrypt is single-threaded: more than 1,769 MB buys nothing. */
    readonly passwordHashing: number;
  };
  /** Email (invitations) through Amazon SES. */
  readonly mail: {
    /**
     * The stage's verified SES identity (a domain or an address): functions may send from it only
     * (`ses:SendEmail` on `arn:aws:ses:<region>:<account>:identity/<identity>`).
     */
    readonly identity: string;
    /** The sender, an address of {@link identity} (`MAIL_FROM`). */
    readonly from: string;
    /** The application page an invitation link opens; `?token=<secret>` is added (`INVITE_URL_BASE`). */
    readonly inviteUrlBase: string;
    /**
     * The application's account pages (`ACCOUNT_URL_BASE`): password reset links open
     * `<base>/reset-password?token=<secret>`, email verification links `<base>/verify-email?token=<secret>`.
     */
    readonly accountUrlBase: string;
  };
  readonly invitations: {
    /** How long an invitation stays valid, in hours (`INVITATION_TTL_HOURS`). */
    readonly ttlHours: number;
    /** Members an organization may have at most (`MEMBER_LIMIT`), checked at invite and at accept. */
    readonly memberLimit: number;
  };
  readonly events: {
    /** How long the audit log keeps events, in days (`EVENT_RETENTION_DAYS`; a TTL index removes them after). */
    readonly retentionDays: number;
  };
  /**
   * The stage's plans by name (`PLANS`): each organization's request rate and burst, enforced by the
   * HTTP chain across all its routes, and its quotas. A plan's rate must fit under the stage's route
   * throttle, or API Gateway would refuse the organization's requests before its plan does.
   */
  readonly plans: Plans;
  /** The plan of an organization whose document names none (`DEFAULT_PLAN`). */
  readonly defaultPlan: string;
  /**
   * How long a container reuses an organization's plan (`PLAN_CACHE_SECONDS`): the bound on how late
   * a plan change (`npm run org:plan`) takes effect.
   */
  readonly planCacheSeconds: number;
  /** Browser origins allowed to call the API; empty means no CORS headers at all. */
  readonly corsAllowOrigins: readonly string[];
  readonly alarms: {
    /** Percentage of requests answered 5xx over 5 minutes. */
    readonly serverErrorRatePercent: number;
    /** Authorizer invocations that failed (not denials: failures, such as unreadable keys) over 5 minutes. */
    readonly authorizerErrors: number;
    /** Throttled invocations of one function over 5 minutes. */
    readonly throttles: number;
    /** p99 duration of one function over 5 minutes, in milliseconds. */
    readonly p99DurationMs: number;
    /** Email addresses subscribed to the alarm topic (each confirms by mail). */
    readonly emails: readonly string[];
  };
}

const common = {
  operationLeaseSeconds: 120,
  archiveRetentionDays: 30,
  placementMode: 'collection',
  jwt: { audience: 'orgs-api', ttlSeconds: 1_800 },
  invitations: { ttlHours: 7 * 24, memberLimit: 10_000 },
  defaultPlan: 'standard',
  planCacheSeconds: 30,
} as const;

export const stages = {
  dev: {
    name: 'dev',
    stackName: 'OrgsService-dev',
    resourcePrefix: 'orgs-service-dev',
    database: { masterDbName: 'orgs_dev_master', tenantDbName: 'orgs_dev_tenants' },
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    logLevel: 'debug',
    logDebugSampleRate: 0, // everything is logged at debug already
    bcryptCost: 10,
    operationLeaseSeconds: common.operationLeaseSeconds,
    archiveRetentionDays: common.archiveRetentionDays,
    placementMode: common.placementMode,
    jwt: { ...common.jwt, issuer: 'orgs-service-dev' },
    mail: {
      identity: 'dev.orgs-service.example',
      from: 'no-reply@dev.orgs-service.example',
      inviteUrlBase: 'http://localhost:5173/invitations/accept',
      accountUrlBase: 'http://localhost:5173/account',
    },
    invitations: common.invitations,
    events: { retentionDays: 7 },
    // No caching, so a key change or a revocation shows at once while developing.
    tokenRevocationBoundSeconds: 0,
    revocationCacheSeconds: 0,
    publishApiDocument: true,
    throttling: { default: { rateLimit: 20, burstLimit: 40 }, passwordRoutes: { rateLimit: 5, burstLimit: 10 } },
    // Small rates, so a developer meets the 429 while developing.
    plans: {
      free: { rateLimit: 2, burstLimit: 4, quotas: DEFAULT_PLANS.free.quotas },
      standard: { rateLimit: 5, burstLimit: 10, quotas: DEFAULT_PLANS.standard.quotas },
      premium: {
        rateLimit: 10,
        burstLimit: 20,
        quotas: DEFAULT_PLANS.premium.quotas,
      },
    },
    defaultPlan: common.defaultPlan,
    planCacheSeconds: common.planCacheSeconds,
    memory: { standard: 512, passwordHashing: 1_024 },
    corsAllowOrigins: ['http://localhost:3000', 'http://localhost:5173'],
    alarms: { serverErrorRatePercent: 10, authorizerErrors: 5, throttles: 10, p99DurationMs: 5_000, emails: [] },
  },
  staging: {
    name: 'staging',
    stackName: 'OrgsService-staging',
    resourcePrefix: 'orgs-service-staging',
    database: { masterDbName: 'orgs_staging_master', tenantDbName: 'orgs_staging_tenants' },
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
    logLevel: 'info',
    logDebugSampleRate: 0.1,
    bcryptCost: 12,
    operationLeaseSeconds: common.operationLeaseSeconds,
    archiveRetentionDays: common.archiveRetentionDays,
    placementMode: common.placementMode,
    jwt: { ...common.jwt, issuer: 'orgs-service-staging' },
    mail: {
      identity: 'staging.orgs-service.example',
      from: 'no-reply@staging.orgs-service.example',
      inviteUrlBase: 'https://app.staging.orgs-service.example/invitations/accept',
      accountUrlBase: 'https://app.staging.orgs-service.example/account',
    },
    invitations: common.invitations,
    events: { retentionDays: 30 },
    tokenRevocationBoundSeconds: 30,
    revocationCacheSeconds: 5,
    publishApiDocument: true,
    throttling: { default: { rateLimit: 50, burstLimit: 100 }, passwordRoutes: { rateLimit: 10, burstLimit: 20 } },
    plans: {
      ...DEFAULT_PLANS,
      premium: {
        rateLimit: 50,
        burstLimit: 100,
        quotas: DEFAULT_PLANS.premium.quotas,
      },
    },
    defaultPlan: common.defaultPlan,
    planCacheSeconds: common.planCacheSeconds,
    memory: { standard: 512, passwordHashing: 1_769 },
    corsAllowOrigins: [],
    alarms: { serverErrorRatePercent: 5, authorizerErrors: 1, throttles: 5, p99DurationMs: 3_000, emails: [] },
  },
  prod: {
    name: 'prod',
    stackName: 'OrgsService-prod',
    resourcePrefix: 'orgs-service-prod',
    database: { masterDbName: 'orgs_master', tenantDbName: 'orgs_tenants' },
    logRetention: RetentionDays.SIX_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
    logLevel: 'info',
    logDebugSampleRate: 0.01,
    bcryptCost: 12,
    operationLeaseSeconds: common.operationLeaseSeconds,
    archiveRetentionDays: common.archiveRetentionDays,
    placementMode: common.placementMode,
    jwt: { ...common.jwt, issuer: 'orgs-service' },
    mail: {
      identity: 'orgs-service.example',
      from: 'no-reply@orgs-service.example',
      inviteUrlBase: 'https://app.orgs-service.example/invitations/accept',
      accountUrlBase: 'https://app.orgs-service.example/account',
    },
    invitations: common.invitations,
    events: { retentionDays: 365 },
    tokenRevocationBoundSeconds: 60,
    revocationCacheSeconds: 5,
    publishApiDocument: false,
    throttling: { default: { rateLimit: 200, burstLimit: 400 }, passwordRoutes: { rateLimit: 20, burstLimit: 40 } },
    plans: DEFAULT_PLANS,
    defaultPlan: common.defaultPlan,
    planCacheSeconds: common.planCacheSeconds,
    memory: { standard: 512, passwordHashing: 1_769 },
    corsAllowOrigins: [],
    alarms: { serverErrorRatePercent: 1, authorizerErrors: 1, throttles: 1, p99DurationMs: 3_000, emails: [] },
  },
} as const satisfies Record<string, StageConfig>;

export type StageName = keyof typeof stages;

/** API Gateway's authorizer result cache TTL: what the revocation bound leaves after the authorizer's own cache. */
export function authorizerCacheTtl(config: StageConfig): Duration {
  return Duration.seconds(Math.max(0, config.tokenRevocationBoundSeconds - config.revocationCacheSeconds));
}

/** Lambda timeout of the route functions: well under API Gateway's 30 s integration limit. */
export const ROUTE_TIMEOUT_SECONDS = 15;
/** Lambda timeout of scheduled functions (the reconciler walks every unsettled organization). */
export const SCHEDULED_TIMEOUT_SECONDS = 120;
/** Lambda timeout of the authorizer: it verifies a signature and, at cold start, reads one secret. */
export const AUTHORIZER_TIMEOUT_SECONDS = 5;
/**
 * Lambda timeout of the database setup, which the deploy waits for: creating an index that exists
 * is instant, but a new index on a large collection is built while the deploy waits.
 */
export const DATABASE_SETUP_TIMEOUT_SECONDS = 600;

/** Thrown at synth for a missing or unknown stage, or a stage whose settings contradict each other. */
export class StageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

function check(config: StageConfig): StageConfig {
  const problems: string[] = [];
  if (config.bcryptCost < 10) problems.push(`bcryptCost must be at least 10 (got ${config.bcryptCost})`);
  if (!(config.logDebugSampleRate >= 0 && config.logDebugSampleRate <= 1)) {
    problems.push(`logDebugSampleRate must be between 0 and 1 (got ${config.logDebugSampleRate})`);
  }
  if (config.operationLeaseSeconds <= ROUTE_TIMEOUT_SECONDS) {
    problems.push(
      `operationLeaseSeconds (${config.operationLeaseSeconds}) must exceed the route timeout (${ROUTE_TIMEOUT_SECONDS} s), ` +
        'or a request could settle an operation that is still running',
    );
  }
  const bound = config.tokenRevocationBoundSeconds;
  if (bound < 0 || bound > 60) problems.push(`tokenRevocationBoundSeconds must be 0 to 60 (got ${bound})`);
  if (config.revocationCacheSeconds < 0 || config.revocationCacheSeconds > bound) {
    problems.push(
      `revocationCacheSeconds (${config.revocationCacheSeconds}) must be 0 to tokenRevocationBoundSeconds (${bound})`,
    );
  }
  if (!URL.canParse(config.mail.inviteUrlBase))
    problems.push(`mail.inviteUrlBase must be a URL (got ${config.mail.inviteUrlBase})`);
  if (!URL.canParse(config.mail.accountUrlBase))
    problems.push(`mail.accountUrlBase must be a URL (got ${config.mail.accountUrlBase})`);
  const domain = config.mail.from.split('@')[1];
  if (config.mail.from !== config.mail.identity && domain !== config.mail.identity) {
    problems.push(`mail.from (${config.mail.from}) must be the identity ${config.mail.identity} or an address of it`);
  }
  for (const [kind, size] of Object.entries(config.memory)) {
    if (size < 128 || size > 10_240) problems.push(`memory.${kind} must be 128 to 10240 MB (got ${size})`);
  }
  for (const problem of planProblems(config.plans, config.defaultPlan)) problems.push(`plans: ${problem}`);
  for (const [name, plan] of Object.entries(config.plans)) {
    if (plan.rateLimit > config.throttling.default.rateLimit) {
      problems.push(
        `plans.${name}.rateLimit (${plan.rateLimit}) must not exceed the stage's route throttle (${config.throttling.default.rateLimit})`,
      );
    }
  }
  if (config.planCacheSeconds < 0 || config.planCacheSeconds > 300) {
    problems.push(`planCacheSeconds must be 0 to 300 (got ${config.planCacheSeconds})`);
  }
  if (problems.length > 0) throw new StageConfigError(`Stage "${config.name}" is misconfigured:\n  ${problems.join('\n  ')}`);
  return config;
}

/**
 * The configuration of a stage, checked.
 *
 * @example
 * const config = stageConfig(app.node.tryGetContext('stage'));
 */
export function stageConfig(name: unknown, known: Readonly<Record<string, StageConfig>> = stages): StageConfig {
  const names = Object.keys(known).join(', ');
  if (typeof name !== 'string' || name === '') {
    throw new StageConfigError(`No stage given. Choose one of: ${names} (for example: npx cdk synth -c stage=dev).`);
  }
  const config = Object.hasOwn(known, name) ? known[name] : undefined;
  if (!config) throw new StageConfigError(`Unknown stage "${name}". Known stages: ${names}.`);
  return check(config);
}
