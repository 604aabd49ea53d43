/**
 * The service's CloudWatch metrics: one namespace, two dimensions, and the names the functions emit
 * (`metrics.ts`) and the stack charts and alarms on (`lib/service-dashboard.ts`). It imports nothing,
 * so the CDK code can read it without loading Powertools.
 *
 * Dimensions are `service` (the stage's resource prefix, `orgs-service-dev`, from
 * POWERTOOLS_SERVICE_NAME) and `route` (the function's folder: `org-create`, `authorizer`, ...): a
 * few dozen combinations per stage. The organization and the user go in each metric record's
 * metadata instead (searchable with Logs Insights, not charted): CloudWatch bills every distinct
 * combination of name and dimension values as a custom metric (Amazon CloudWatch pricing), and
 * organizations grow without bound, so a dimension per organization would make the bill grow with
 * the customer count and each chart a line per organization.
 */

export const METRICS_NAMESPACE = 'OrgsService';

export const DIMENSION = { service: 'service', route: 'route' } as const;

/** Every invocation of a route function or the authorizer. */
export const REQUEST_METRIC = {
  /** Handler time in ms, from the first middleware to the answer (Lambda's Duration adds the runtime's). */
  latency: 'Latency',
  /** 1 when the answer was a 4xx, else 0: Sum is the count, Average the rate. */
  clientError: 'Status4xx',
  /** 1 when the answer was a 5xx, else 0. */
  serverError: 'Status5xx',
  /** Sum of the durations of the invocation's database calls (store calls, `callDatabase`), in ms. */
  databaseTime: 'DatabaseTime',
  /** Database calls of the invocation: store calls, each of one or more commands. */
  databaseCalls: 'DatabaseCalls',
  /** 1 on a container's first invocation. */
  coldStart: 'ColdStart',
  /** The authorizer only: 1 when it denied the token, else 0. */
  denied: 'AuthorizerDenied',
} as const;

/** Cache look-ups: 1 for a hit, 0 for a miss, so Average is the hit rate and SampleCount the look-ups. */
export const CACHE_METRIC = {
  /** An organization's placement, reused by records reads for PLACEMENT_CACHE_SECONDS. */
  placement: 'PlacementCacheHit',
  /** The authorizer's revocation look-ups, reused for REVOCATION_CACHE_SECONDS. */
  revocation: 'RevocationCacheHit',
  /** The signing or verification keys, re-read every JWT_KEYS_MAX_AGE_SECONDS. */
  keys: 'KeysCacheHit',
} as const;

/** Things that happened to the business, counted where they happen. */
export const BUSINESS_METRIC = {
  organizationCreated: 'OrganizationsCreated',
  organizationDeleted: 'OrganizationsDeleted',
  organizationArchived: 'OrganizationsArchived',
  organizationRestored: 'OrganizationsRestored',
  organizationPurged: 'OrganizationsPurged',
  /** A login refused for a wrong email or password (not for a lockout). */
  loginFailed: 'LoginsFailed',
  /** A login refused because its email or source address is locked out (429). */
  lockout: 'LoginLockouts',
  /** A spent refresh token presented again: its session is revoked. */
  refreshTokenReuse: 'RefreshTokenReuse',
  /** A records write that found the organization's data moved under it, and was written again. */
  fencedWrite: 'FencedWrites',
  /** A move of an organization's data that completed in a function (see README, Metrics). */
  moveCompleted: 'MovesCompleted',
  /** A job (a move, a purge) that ended done. */
  jobSucceeded: 'JobsSucceeded',
  /** A job that failed for good (its attempts spent, or a step that can never succeed): the alarm's metric. */
  jobFailed: 'JobsFailed',
} as const;

/** Durations of business operations, in ms. */
export const DURATION_METRIC = {
  /** From the move's start (its operation's `startedAt`) to its commit. */
  move: 'MoveDuration',
} as const;

export type CacheName = keyof typeof CACHE_METRIC;
export type BusinessEvent = keyof typeof BUSINESS_METRIC;
export type BusinessDuration = keyof typeof DURATION_METRIC;
