/**
 * The route table: one row per HTTP endpoint. The CDK stack, the local API server and the API
 * document are all generated from this list, so they cannot drift apart; the functions read their
 * row's `permission` from it. It imports no code (types only), so any of them can load it cheaply.
 */

import type { Permission } from '../functions/core/members/permissions.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * What a function uses. The stack derives each function's environment, its secret grants and its
 * memory from these, so a function gets exactly what its row declares and nothing else.
 *
 * - `database`: the MongoDB connection string secret and the database settings (names, bcrypt cost,
 *   operation lease, the event log's retention), which every user of the organization service reads.
 * - `signingKey`: the private JWT signing key secret, issuer, audience and token lifetime.
 * - `verificationKeys`: the public JWK Set secret, issuer and audience.
 * - `passwordHashing`: bcrypt work on every call. Lambda gives CPU in proportion to memory, so these
 *   functions get the stage's larger memory size.
 * - `mail`: sends email through Amazon SES (`ses:SendEmail` on the stage's identity only), from the
 *   stage's sender address, with invitation links to the stage's application page.
 * - `invitations`: the invitation lifetime and the member limit.
 * - `eventBus`: puts events on the stack's EventBridge bus (`events:PutEvents` on that bus only,
 *   `EVENT_BUS_NAME`); the webhook delivery settings.
 * - `jobQueue`: sends wake-ups to the job worker's SQS queue (`sqs:SendMessage` on that queue only,
 *   `JOB_QUEUE_URL`) and the jobs' retry settings.
 */
export type Need =
  | 'database'
  | 'signingKey'
  | 'verificationKeys'
  | 'passwordHashing'
  | 'mail'
  | 'invitations'
  | 'eventBus'
  | 'jobQueue';

/** A Lambda function of the service. */
export interface FunctionSpec {
  /** Folder under functions/ holding `handler.ts` (exported `handler`). */
  readonly function: string;
  /** What the function uses; see {@link Need}. */
  readonly needs: readonly Need[];
}

export interface Route extends FunctionSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly auth: 'public' | 'jwt';
  /**
   * What the caller's role in the active organization must allow (`jwt` routes only). The HTTP chain
   * enforces it (403 `permission_denied`); a `jwt` route without one is open to every member.
   */
  readonly permission?: Permission;
  readonly summary: string;
  /** Part of the published API description; a stage may leave such routes out. */
  readonly docs?: boolean;
}

/** The folder of the Lambda authorizer that guards every `jwt` route. */
export const AUTHORIZER_FUNCTION = 'authorizer';

/**
 * The Lambda authorizer. It verifies tokens with the public keys only (it cannot read the signing
 * key) and checks revocation (logout, refresh token reuse, token version) in the master database.
 */
export const authorizer: FunctionSpec = { function: AUTHORIZER_FUNCTION, needs: ['verificationKeys', 'database'] };

/** A function that runs on a schedule rather than behind a route. */
export interface ScheduledFunction extends FunctionSpec {
  /** An EventBridge schedule expression. */
  readonly schedule: string;
  readonly summary: string;
}

export const scheduledFunctions: readonly ScheduledFunction[] = [
  {
    function: 'reconciler',
    schedule: 'rate(5 minutes)',
    summary:
      'Finish or undo organization changes whose run died midway; wake jobs nobody works on; free unused name reservations; send queued email',
    needs: ['database', 'mail', 'jobQueue'],
  },
  {
    function: 'dispatcher',
    schedule: 'rate(1 minute)',
    summary: 'Deliver new events to the event bus and to webhook endpoints; retry failed deliveries',
    needs: ['database', 'eventBus'],
  },
];

/** A function an SQS queue invokes. */
export interface QueueWorker extends FunctionSpec {
  readonly summary: string;
  /** The function's timeout; the queue's visibility timeout is six times it (AWS Lambda, "Using Lambda with Amazon SQS"). */
  readonly timeoutSeconds: number;
}

/**
 * The job worker: the job queue invokes it with one wake-up at a time; it works on the job in
 * checkpointed steps until its time is nearly spent (see `#core/jobs/runner.ts`).
 */
export const jobWorker: QueueWorker = {
  function: 'job-worker',
  summary: 'Carry out long organization operations (moves, purges) in checkpointed steps, retried with backoff',
  needs: ['database', 'jobQueue'],
  timeoutSeconds: 300,
};

/** A function the deployment itself runs (a CDK trigger), before the routes serve. */
export interface DeployFunction extends FunctionSpec {
  readonly summary: string;
}

/**
 * The one-time database setup: creates the master database's indexes. The stack runs it on every
 * deploy that changes it, before the routes and the authorizer are updated; no request creates
 * indexes. `npm start` and the tests run the same setup once at start.
 */
export const databaseSetup: DeployFunction = {
  function: 'db-setup',
  summary: 'Create the master database indexes (run by the deployment, before the routes serve)',
  needs: ['database'],
};

export const routes: readonly Route[] = [
  {
    method: 'POST',
    path: '/org/create',
    function: 'org-create',
    auth: 'public',
    summary: 'Create an organization and its admin (who is sent an email verification link)',
    needs: ['database', 'passwordHashing', 'mail'],
  },
  {
    method: 'GET',
    path: '/org/get',
    function: 'org-get',
    auth: 'public',
    summary: "Read an organization's public metadata",
    needs: ['database'],
  },
  {
    method: 'PUT',
    path: '/org/update',
    function: 'org-update',
    auth: 'jwt',
    permission: 'organization:update',
    summary: 'Rename the organization or change admin credentials',
    // Hashes only when the password changes: standard memory keeps the common rename cheap.
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/delete',
    function: 'org-delete',
    auth: 'jwt',
    permission: 'organization:delete',
    summary: 'Delete the organization: archived at once (restorable by its owner), purged after the retention window',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/admin/login',
    function: 'admin-login',
    auth: 'public',
    summary: 'Log in as an admin and get an access token',
    needs: ['database', 'signingKey', 'passwordHashing'],
  },
  {
    method: 'POST',
    path: '/admin/refresh',
    function: 'admin-refresh',
    auth: 'public',
    summary: 'Swap a refresh token for new tokens',
    needs: ['database', 'signingKey'],
  },
  {
    method: 'POST',
    path: '/admin/logout',
    function: 'admin-logout',
    auth: 'jwt',
    summary: 'End this session',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/admin/logout-all',
    function: 'admin-logout-all',
    auth: 'jwt',
    summary: 'End every session of this admin',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/openapi.json',
    function: 'openapi',
    auth: 'public',
    summary: "This API's OpenAPI document",
    needs: [],
    docs: true,
  },
  {
    method: 'POST',
    path: '/org/records',
    function: 'records-create',
    auth: 'jwt',
    permission: 'records:write',
    summary: 'Create a record',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/records',
    function: 'records-list',
    auth: 'jwt',
    permission: 'records:read',
    summary: 'List records, newest first',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/records/{id}',
    function: 'records-get',
    auth: 'jwt',
    permission: 'records:read',
    summary: 'Read a record',
    needs: ['database'],
  },
  {
    method: 'PUT',
    path: '/org/records/{id}',
    function: 'records-replace',
    auth: 'jwt',
    permission: 'records:write',
    summary: "Replace a record's data",
    needs: ['database'],
  },
  {
    method: 'PATCH',
    path: '/org/records/{id}',
    function: 'records-patch',
    auth: 'jwt',
    permission: 'records:write',
    summary: 'Merge fields into a record',
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/records/{id}',
    function: 'records-delete',
    auth: 'jwt',
    permission: 'records:write',
    summary: 'Delete a record',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/usage',
    function: 'org-usage',
    auth: 'jwt',
    permission: 'usage:read',
    summary: "The organization's plan, what it holds, and its requests by route and active members per day",
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/me',
    function: 'me',
    auth: 'jwt',
    summary: 'Who you are: your active organization, role and permissions, and all your organizations',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/me/email',
    function: 'me-email',
    auth: 'jwt',
    summary: 'Move your account to another email address (current password; it moves once the new address is verified)',
    needs: ['database', 'passwordHashing', 'mail'],
  },
  {
    method: 'POST',
    path: '/me/email/verification',
    function: 'me-email-verification',
    auth: 'jwt',
    summary: 'Send a new verification link to your address (or to the pending one)',
    needs: ['database', 'mail'],
  },
  {
    method: 'PUT',
    path: '/me/password',
    function: 'me-password',
    auth: 'jwt',
    summary: 'Change your password (current password); ends every session',
    needs: ['database', 'passwordHashing'],
  },
  {
    method: 'POST',
    path: '/me/two-factor',
    function: 'two-factor-enroll',
    auth: 'jwt',
    summary: 'Begin two-factor authentication: a TOTP secret, its otpauth URI and QR code (password required)',
    needs: ['database', 'passwordHashing'],
  },
  {
    method: 'POST',
    path: '/me/two-factor/confirm',
    function: 'two-factor-confirm',
    auth: 'jwt',
    summary: 'Turn two-factor authentication on with a first code; get recovery codes',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/me/two-factor/disable',
    function: 'two-factor-disable',
    auth: 'jwt',
    summary: 'Turn two-factor authentication off (password and a code)',
    needs: ['database', 'passwordHashing'],
  },
  {
    method: 'POST',
    path: '/login/two-factor',
    function: 'login-two-factor',
    auth: 'public',
    summary: "Complete a login's two-factor challenge with a code or a recovery code",
    needs: ['database', 'signingKey'],
  },
  {
    method: 'POST',
    path: '/password/forgot',
    function: 'password-forgot',
    auth: 'public',
    summary: 'Email a password reset link (the answer is the same whether or not an account uses the address)',
    needs: ['database', 'mail'],
  },
  {
    method: 'POST',
    path: '/password/reset',
    function: 'password-reset',
    auth: 'public',
    summary: "Set a new password with a reset link's secret; ends every session",
    needs: ['database', 'passwordHashing'],
  },
  {
    method: 'POST',
    path: '/email/verify',
    function: 'email-verify',
    auth: 'public',
    summary: 'Verify an email address with the secret from its link',
    needs: ['database', 'mail'],
  },
  {
    method: 'PUT',
    path: '/org/security',
    function: 'org-security',
    auth: 'jwt',
    permission: 'organization:security',
    summary: "Set the organization's security policy: require two-factor authentication of its members",
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/me/organizations/restore',
    function: 'me-organizations-restore',
    auth: 'jwt',
    summary: 'Restore an archived (deleted) organization you own, within its retention window',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/me/switch',
    function: 'me-switch',
    auth: 'jwt',
    summary: 'Get tokens for another of your organizations (no password)',
    needs: ['database', 'signingKey'],
  },
  {
    method: 'GET',
    path: '/org/members',
    function: 'members-list',
    auth: 'jwt',
    permission: 'members:read',
    summary: "List the organization's members",
    needs: ['database'],
  },
  {
    method: 'PUT',
    path: '/org/members/{user_id}',
    function: 'members-update',
    auth: 'jwt',
    permission: 'members:manage',
    summary: "Change a member's role",
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/members/{user_id}',
    function: 'members-remove',
    auth: 'jwt',
    permission: 'members:manage',
    summary: 'Remove a member',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/leave',
    function: 'org-leave',
    auth: 'jwt',
    summary: 'Leave the organization',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/transfer-ownership',
    function: 'org-transfer',
    auth: 'jwt',
    permission: 'organization:delete',
    summary: 'Make another member owner; you become an admin (owners only)',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/roles',
    function: 'roles-list',
    auth: 'jwt',
    permission: 'members:read',
    summary: 'List the roles members can hold, with their permissions',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/roles',
    function: 'roles-create',
    auth: 'jwt',
    permission: 'roles:manage',
    summary: 'Create a custom role',
    needs: ['database'],
  },
  {
    method: 'PUT',
    path: '/org/roles/{name}',
    function: 'roles-update',
    auth: 'jwt',
    permission: 'roles:manage',
    summary: "Change a custom role's permissions",
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/roles/{name}',
    function: 'roles-delete',
    auth: 'jwt',
    permission: 'roles:manage',
    summary: 'Delete a custom role no member holds',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/invitations',
    function: 'invitations-create',
    auth: 'jwt',
    permission: 'invitations:manage',
    summary: 'Invite someone by email to join the organization with a role',
    needs: ['database', 'mail', 'invitations'],
  },
  {
    method: 'GET',
    path: '/org/invitations',
    function: 'invitations-list',
    auth: 'jwt',
    permission: 'invitations:manage',
    summary: "List the organization's invitations, newest first",
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/invitations/{invitation_id}',
    function: 'invitations-revoke',
    auth: 'jwt',
    permission: 'invitations:manage',
    summary: 'Revoke an invitation',
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/invitations/accept',
    function: 'invitations-accept',
    auth: 'public',
    summary: 'Accept an invitation with its secret and a password (a new account, or your own password)',
    needs: ['database', 'signingKey', 'passwordHashing', 'invitations'],
  },
  {
    method: 'POST',
    path: '/me/invitations/accept',
    function: 'me-invitations-accept',
    auth: 'jwt',
    summary: 'Accept an invitation sent to your email, as the logged-in user',
    needs: ['database', 'invitations'],
  },
  {
    method: 'GET',
    path: '/org/audit-log',
    function: 'audit-log',
    auth: 'jwt',
    permission: 'audit:read',
    summary: "The organization's audit log: its events, newest first, filtered by type, actor and time",
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/audit-log/export',
    function: 'audit-log-export',
    auth: 'jwt',
    permission: 'audit:read',
    summary: "Export a time range of the organization's audit log as JSON lines",
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/webhooks',
    function: 'webhooks-create',
    auth: 'jwt',
    permission: 'webhooks:manage',
    summary: 'Register a webhook endpoint for event types; its signing secret is shown once',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/webhooks',
    function: 'webhooks-list',
    auth: 'jwt',
    permission: 'webhooks:manage',
    summary: "List the organization's webhook endpoints",
    needs: ['database'],
  },
  {
    method: 'DELETE',
    path: '/org/webhooks/{webhook_id}',
    function: 'webhooks-delete',
    auth: 'jwt',
    permission: 'webhooks:manage',
    summary: 'Delete a webhook endpoint',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/jobs',
    function: 'jobs-list',
    auth: 'jwt',
    permission: 'audit:read',
    summary: "List the organization's jobs (moves, purges), newest first",
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/jobs/{job_id}',
    function: 'jobs-get',
    auth: 'jwt',
    permission: 'audit:read',
    summary: 'Read a job: state, progress, last error, result',
    needs: ['database'],
  },
  {
    method: 'GET',
    path: '/org/webhooks/{webhook_id}/attempts',
    function: 'webhooks-attempts',
    auth: 'jwt',
    permission: 'webhooks:manage',
    summary: "List a webhook endpoint's delivery attempts, newest first",
    needs: ['database'],
  },
  {
    method: 'POST',
    path: '/org/webhooks/{webhook_id}/replay',
    function: 'webhooks-replay',
    auth: 'jwt',
    permission: 'webhooks:manage',
    summary: "Send the organization's events since a time to a webhook endpoint again",
    needs: ['database'],
  },
];

/** The permission the route served by `functionName` needs, if any (see {@link Route.permission}). */
export function permissionOf(functionName: string): Permission | undefined {
  return routes.find((route) => route.function === functionName)?.permission;
}

/**
 * True when the route served by `functionName` acts on the caller's active organization: it needs a
 * permission, or its path is under `/org/` (leaving it needs none). Such a route refuses a caller whose
 * organization is archived; the others (the caller's own account, `/me/...`) stay open to them. The
 * delete is not one of them: a retry of a delete that archived the organization answers 202 as the
 * first did (its permission still applies).
 */
export function actsOnOrganization(functionName: string): boolean {
  const route = routes.find((r) => r.function === functionName);
  if (route === undefined || route.auth !== 'jwt' || functionName === 'org-delete') return false;
  return route.permission !== undefined || route.path.startsWith('/org/');
}
