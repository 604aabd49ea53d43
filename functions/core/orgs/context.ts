import type { PasswordHasher } from '../auth/passwords.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { EventLog } from '../events/log.ts';
import type { Jobs } from '../jobs/runner.ts';
import type { PlacementPolicy } from '../tenancy/placement-policy.ts';
import type { OperationLocks } from './locks.ts';
import type { Organization } from './model.ts';
import type { OrgStores } from './stores.ts';

export { operationInProgress } from './locks.ts';

/**
 * What every organization operation module works with: the stores, the hasher, the placement policy,
 * the clock, the operation locks, and recovery of an abandoned operation. The façade
 * (`OrganizationService`) builds one per service; the modules take it as their first argument.
 */

/**
 * Who recovers an abandoned operation: a `request` (an organization or records route meeting it) does
 * only bounded work, so it undoes a dead move; the `operator` (the reconciler, the move script) finishes it.
 */
export type RecoveredBy = 'request' | 'operator';

export interface OrgContext {
  readonly stores: OrgStores;
  readonly hasher: PasswordHasher;
  /** Where data goes: new organizations, renames and moves. */
  readonly placements: PlacementPolicy;
  /** How long a run may go without renewing its lease before another may take its operation over. */
  readonly leaseMs: number;
  readonly now: () => Date;
  /** The organizations' operation locks, whose lock ids are the operations' fencing tokens. */
  readonly locks: OperationLocks;
  /**
   * Finishes or undoes `org`'s abandoned operation (`recoverOperation` of `./recovery.ts`). Passed in
   * rather than imported, so the operations that meet a dead run (create, name claims) do not import
   * the module that imports them. Throws `operation_in_progress` (409) while a live run holds the lock.
   */
  readonly recover: (org: Organization, by: RecoveredBy) => Promise<void>;
  /** The event log: each operation records its event on itself and commits it as it ends. */
  readonly events: EventLog;
  /** The jobs engine that runs long operations (moves, purges) in checkpointed steps. */
  readonly jobs: Jobs;
}

/** True when something last alive (started, renewed, claimed) at `at` has been silent for a whole lease. */
export function lapsed(ctx: OrgContext, at: Date): boolean {
  return ctx.locks.lapsed(at);
}

/** 409 `organization_name_taken`: another organization has a name with the same key. */
export const nameTaken = () => new ConflictError('organization_name_taken', 'An organization with this name already exists.');

/** 409 `email_taken`: another admin has this email. */
export const emailTaken = () => new ConflictError('email_taken', 'This email already belongs to an admin.');

/** 404 `organization_not_found`: no live organization has this name. */
export const notFound = () => new NotFoundError('organization_not_found', 'No organization has this name.');

/** 403 `not_your_organization`: the caller's token is for another organization. */
export const notYours = () => new ForbiddenError('not_your_organization', 'You may only manage your own organization.');
