import type { PasswordHasher } from '../auth/passwords.ts';
import type { Caller, CallerIdentity } from '../auth/tokens.ts';
import { ConflictError } from '../errors.ts';
import { eventLogOn } from '../events/index.ts';
import type { EventLog } from '../events/log.ts';
import { DEFAULT_RETENTION_MS } from '../events/log.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { type JobHandler, Jobs } from '../jobs/runner.ts';
import type { PlacementPolicy } from '../tenancy/placement-policy.ts';
import { notFound, type OrgContext } from './context.ts';
import { type CreateInput, createOrganization } from './create.ts';
import { deleteOrganization } from './delete.ts';
import { OperationLocks } from './locks.ts';
import { getLive } from './lookup.ts';
import type { Organization, PlacementMode } from './model.ts';
import { type MoveRef, moveJobHandler, moveOrganization, type StartedMove, startMove } from './move.ts';
import { type ReconcileReport, reconcile, recoverAbandoned, recoverOperation } from './recovery.ts';
import { type UpdateInput, updateOrganization } from './rename.ts';
import type { OrgStores } from './stores.ts';

export type { CreateInput } from './create.ts';
export type { MoveRef, StartedMove } from './move.ts';
export type { ReconcileFailure, ReconcileReport } from './recovery.ts';
export type { UpdateInput } from './rename.ts';

/** What the organization service needs: its stores, the password hasher, the placement policy, the lease and the clock. */
export interface OrgServiceDeps {
  readonly stores: OrgStores;
  readonly hasher: PasswordHasher;
  /** Where data goes: new organizations, renames and moves. */
  readonly placements: PlacementPolicy;
  /** How long an operation may run without renewing its lease before another request may take it over. */
  readonly leaseMs: number;
  /** The clock (leases, timestamps); the system clock by default. */
  readonly now?: () => Date;
  /** The event log; by default one over `stores` keeping events {@link DEFAULT_RETENTION_MS}. */
  readonly events?: EventLog;
  /** How jobs run (the move's, and `handlers` for other kinds); see {@link JobsOptions}. */
  readonly jobs?: JobsOptions;
}

/** The jobs engine's settings for the organization service (see `Jobs` in `#core/jobs/runner.ts`). */
export interface JobsOptions {
  /** The worker's wake-up (SQS in AWS, in-process locally); without it jobs run only when worked on. */
  readonly queue?: JobQueue;
  /** Failures in a row before a job fails for good (default 8). */
  readonly maxAttempts?: number;
  /** The first retry's backoff, in ms (default 2 s). */
  readonly backoffBaseMs?: number;
  /** How long one worker call steps before handing the job back to the queue, in ms (default 60 s). */
  readonly budgetMs?: number;
  /** How many records one step of a move copies (default `MOVE_BATCH`, 1,000). */
  readonly moveBatch?: number;
  /** Handlers of other job kinds, built over the operations' context. */
  readonly handlers?: (ctx: OrgContext) => readonly JobHandler[];
}

/**
 * The organization use cases, as one façade over their modules. MongoDB gives us atomic
 * single-document writes and no multi-document transactions here, so create, rename, move and delete
 * are ordered, idempotent steps:
 *
 * - the organization document carries a status and, while a change runs, an `operation` with its
 *   start time and, for renames and moves, its owner's fencing token (`./fencing.ts`);
 * - a step that fails is compensated at once (create and move roll back; a recorded rename goes forward);
 * - a run that died midway (the container was killed) leaves the operation on the document; once its
 *   lease has lapsed, the next request that meets it, or {@link OrganizationService.reconcile},
 *   recovers it (`./recovery.ts`).
 *
 * Every change to an existing organization's document is made under its operation lock (`./locks.ts`):
 * a conditional update alone is not a safe mutex on every server. Names are reserved by name claims
 * (`./name-claims.ts`). Moving data fences records writes with the status and the fencing epoch
 * (`placementVersion`), so no write is acknowledged unless it is in the place that holds the data
 * afterwards (see `#core/records/service.ts`).
 *
 * The modules: `./create.ts`, `./rename.ts` (update), `./move.ts`, `./delete.ts`, `./recovery.ts`
 * (recovery and the reconciler), `./name-claims.ts`, `./lookup.ts`, `./abandoned.ts`, `./fencing.ts`.
 */
export class OrganizationService {
  readonly #ctx: OrgContext;

  constructor(deps: OrgServiceDeps) {
    const now = deps.now ?? (() => new Date());
    const ctx: OrgContext = {
      stores: deps.stores,
      hasher: deps.hasher,
      placements: deps.placements,
      leaseMs: deps.leaseMs,
      now,
      locks: new OperationLocks(deps.stores.locks, deps.leaseMs, now),
      recover: (org, by) => recoverOperation(ctx, org, by),
      events: deps.events ?? eventLogOn(deps.stores, { retentionMs: DEFAULT_RETENTION_MS, now }),
      get jobs() {
        return jobs;
      },
    };
    const options = deps.jobs ?? {};
    const jobs: Jobs = new Jobs({
      store: deps.stores.jobs,
      handlers: [moveJobHandler(ctx, options.moveBatch), ...(options.handlers?.(ctx) ?? [])],
      leaseMs: deps.leaseMs,
      now,
      ...(options.queue ? { queue: options.queue } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.backoffBaseMs !== undefined ? { backoffBaseMs: options.backoffBaseMs } : {}),
      ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}),
    });
    this.#ctx = ctx;
  }

  /**
   * Creates an organization and its first admin (see `createOrganization` in `./create.ts`).
   *
   * @throws ConflictError `organization_name_taken`, `email_taken` (409); a failed create is undone.
   */
  create(input: CreateInput): Promise<{ org: Organization; adminEmail: string }> {
    return createOrganization(this.#ctx, input);
  }

  /**
   * The organization a name refers to, if it is live (not being created or deleted).
   *
   * @throws NotFoundError `organization_not_found` (404).
   */
  get(name: string): Promise<Organization> {
    return getLive(this.#ctx, name);
  }

  /**
   * Changes the caller's organization's name and/or its admin's credentials (see `updateOrganization`
   * in `./rename.ts`).
   *
   * @throws NotFoundError (404), ForbiddenError (403), ConflictError (409: name or email taken, `operation_in_progress`).
   */
  update(caller: CallerIdentity, input: UpdateInput): Promise<Organization> {
    return updateOrganization(this.#ctx, caller, input);
  }

  /**
   * Sets the caller's active organization's security policy. Requiring two-factor authentication
   * takes a session that began with it, so an owner cannot lock themselves out by accident.
   *
   * @throws ConflictError `two_factor_not_enabled` (409) when requiring it from a session without it.
   * @throws NotFoundError `organization_not_found` (404) when the organization is not live.
   */
  async setSecurityPolicy(caller: Pick<Caller, 'orgId' | 'mfa'>, policy: { requireTwoFactor: boolean }): Promise<Organization> {
    if (policy.requireTwoFactor && !caller.mfa) {
      throw new ConflictError(
        'two_factor_not_enabled',
        'Turn on two-factor authentication for yourself and log in with it before requiring it of everyone.',
      );
    }
    const org = await this.#ctx.stores.orgs.transition(caller.orgId, ['active', 'renaming', 'moving'], {
      requireTwoFactor: policy.requireTwoFactor,
      updatedAt: this.#ctx.now(),
    });
    if (!org) throw notFound();
    return org;
  }

  /**
   * Starts moving an organization's data to a new place in `mode` as a job (an operator's action; see
   * `startMove` in `./move.ts`); the worker carries it out.
   *
   * @returns the organization as marked and the job (null when it is in `mode` already).
   * @throws NotFoundError (404), ConflictError `operation_in_progress` (409).
   */
  startMove(ref: MoveRef, mode: PlacementMode): Promise<StartedMove> {
    return startMove(this.#ctx, ref, mode);
  }

  /**
   * Moves an organization's data and waits, working on the job in this process (see
   * `moveOrganization` in `./move.ts`). A job that fails for good undoes the move.
   *
   * @throws NotFoundError (404), ConflictError `operation_in_progress` or `move_failed` (409).
   */
  move(ref: MoveRef, mode: PlacementMode): Promise<Organization> {
    return moveOrganization(this.#ctx, ref, mode);
  }

  /** The jobs engine: the worker's `work`, the job routes' reads, the operator's cancel and retry. */
  get jobs(): Jobs {
    return this.#ctx.jobs;
  }

  /**
   * Deletes the caller's organization, its data, admins and sessions, or finishes an earlier delete
   * (see `deleteOrganization` in `./delete.ts`).
   *
   * @throws NotFoundError (404), ForbiddenError (403), ConflictError `operation_in_progress` (409).
   */
  delete(caller: CallerIdentity, name: string): Promise<Organization> {
    return deleteOrganization(this.#ctx, caller, name);
  }

  /**
   * Recovers the organization's operation if its run died (its lease has lapsed), as a request may:
   * a dead create is undone, a dead rename or delete finished, and a dead move undone (a request never
   * runs a whole copy; the operator runs the move again). For the records routes, which meet dead
   * operations as refused writes. Returns the organization as it is afterwards (null when gone).
   */
  recoverAbandoned(orgId: string): Promise<Organization | null> {
    return recoverAbandoned(this.#ctx, orgId);
  }

  /**
   * Recovers every operation whose lease has lapsed and frees every name claim, lock and place nobody
   * uses; see `reconcile` in `./recovery.ts`. Safe to run at any time and from several places at once;
   * run it on a schedule or after an outage.
   */
  reconcile(): Promise<ReconcileReport> {
    return reconcile(this.#ctx);
  }

  /** The event log the operations record to (the reconciler settles its pending events). */
  get events(): EventLog {
    return this.#ctx.events;
  }
}
