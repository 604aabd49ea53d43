/**
 * Every collection of the master database, named once. Stores, the database setup, the operator
 * scripts and the tests take names from here; organizations' own data lives elsewhere, in places
 * their master document records (see `Placement`), never under a name computed here.
 *
 * @example
 * db.collection<AdminDoc>(MASTER_COLLECTIONS.admins);
 */
export const MASTER_COLLECTIONS = {
  /** Organizations' metadata: name, unique slug, status, placement, the operation in progress. */
  organizations: 'organizations',
  /**
   * Users: one identity each, unique lower-case email, bcrypt hash, token version, and `orgId`, the
   * organization the user created (absent for users who joined by invitation). The name is the
   * collection's first one, from when an organization had exactly one admin.
   */
  admins: 'admins',
  /** Who belongs to which organization, with which role: `_id` `<orgId>:<userId>`. */
  memberships: 'memberships',
  /** Organizations' custom roles: `_id` `<orgId>:<name>`, with their permissions. */
  roles: 'roles',
  /** One lock per organization while a role changes or a member goes (the owner invariant). */
  memberLocks: 'member_locks',
  /** Invitations to join an organization: hashed single-use secret, role, expiry, state. */
  invitations: 'invitations',
  /** Each invitation's one outcome (`accepted` or `revoked`), by invitation id: an insert only one caller wins. */
  invitationOutcomes: 'invitation_outcomes',
  /** Email waiting to go out (or gone): what the mailer sends, retried until sent. */
  outbox: 'outbox',
  /**
   * The lifecycle events (`#core/events/`): one per change, `pending` until the change is made,
   * numbered per organization, kept for the stage's retention (TTL on `expiresAt` where supported).
   */
  events: 'events',
  /** Each organization's last event sequence number, by organization id. */
  eventSequences: 'event_sequences',
  /** Organizations' webhook endpoints: URL, event types, signing secret, state. */
  webhookEndpoints: 'webhook_endpoints',
  /** One per event and webhook endpoint (or replay): the signed body, its state and next attempt. */
  webhookDeliveries: 'webhook_deliveries',
  /** Every delivery attempt: when, the outcome, the status; kept for the event retention. */
  webhookAttempts: 'webhook_attempts',
  /**
   * Long operations on an organization (moves, purges) run by the job worker in checkpointed steps:
   * kind, state, the last checkpoint, attempts, the worker's lease (see `#core/jobs/`).
   */
  jobs: 'jobs',
  /** Name reservations, by slug: held while an organization is created or renamed, and after. */
  nameClaims: 'org_names',
  /** One lock per organization while a create, rename, move or delete runs. */
  locks: 'org_locks',
  /** Refresh tokens, by hash, with their session and expiry. */
  refreshTokens: 'refresh_tokens',
  /** Refresh tokens spent, by hash: a second use is a reuse. */
  refreshTokenUses: 'refresh_token_uses',
  /** Revoked sessions, tokens and token versions, until the tokens they name expire. */
  revocations: 'revocations',
  /** Failed logins per email and per source address, for the lockout. */
  loginFailures: 'login_failures',
  /**
   * Each organization's rate window and usage per UTC day: `_id` `<orgId>:<YYYY-MM-DD>`, requests and
   * throttled requests by route, the users who called (see `usage-store.ts`).
   */
  usage: 'org_usage',
  /** What each organization holds, counted as it changes: records (the records quota). `_id` the org id. */
  meters: 'org_meters',
  /** Each operator change of an organization's plan (`npm run org:plan`), never rewritten. */
  planChanges: 'plan_changes',
  /** One-time links (password reset, email verification), by the SHA-256 of their secret. */
  accountTokens: 'account_tokens',
  /** Logins waiting for their second factor, by the SHA-256 of the challenge secret. */
  loginChallenges: 'login_challenges',
  /** One-time codes already accepted (TOTP steps, recovery codes): a second use is refused. */
  usedCodes: 'used_codes',
  /** What the database setup made: one document, `master`, listing the indexes (see indexes.ts). */
  setup: 'setup',
} as const;

export type MasterCollection = (typeof MASTER_COLLECTIONS)[keyof typeof MASTER_COLLECTIONS];
