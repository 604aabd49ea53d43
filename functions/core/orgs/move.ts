import { ConflictError } from '../errors.ts';
import { newEventId } from '../events/log.ts';
import { newId } from '../ids.ts';
import { isFinal, type Job } from '../jobs/model.ts';
import { type JobHandler, PermanentJobError, type StepContext, type StepOutcome } from '../jobs/runner.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import { lapsed, notFound, type OrgContext, operationInProgress, type RecoveredBy } from './context.ts';
import { fencingTokenOf, nextFencingEpoch, takeOver } from './fencing.ts';
import { findByName } from './lookup.ts';
import { type OperationLock, type Organization, type Placement, type PlacementMode, samePlace } from './model.ts';

/**
 * The move operation (an operator's action): moves an organization's data to a new place in another
 * placement mode, as a job (`#core/jobs/`). Starting it marks the organization `moving` (records
 * writes are refused with 503 and Retry-After, reads are served from the current place) with the job's
 * id as the operation's fencing token and a target of its own, and queues the job. The worker then
 * copies the data in batches in `_id` order, then verifies it batch by batch against the source
 * (repairing what differs), a checkpoint after each batch (an interrupted copy or verification resumes
 * after its last batch), switches the placement under the fencing token with a new
 * fencing epoch, and drops the old place. A job that fails for good or is cancelled before the switch
 * undoes the move; the reconciler undoes a move whose job ended without it.
 */

/** Which organization to move: by id, or else by name. */
export interface MoveRef {
  readonly id?: string;
  readonly name?: string;
}

/** How many records one step of a move copies and verifies. */
export const MOVE_BATCH = 1_000;

/** A move job's input: the two places, recorded when the move starts. */
interface MoveParams {
  readonly from: Placement;
  readonly to: Placement;
}

/**
 * A move job's checkpoint: `copy` (ObjectId records after `after` are left to copy; `copied` so far),
 * `verify` (left to verify after `after`; `verified` and `repaired` so far), `rest` (the documents
 * with other `_id`s, then the switch), `switched` (committed; the old place is left to drop).
 */
interface MoveProgress {
  readonly phase?: 'copy' | 'verify' | 'rest' | 'switched';
  readonly after?: string;
  readonly copied?: number;
  readonly verified?: number;
  readonly repaired?: number;
}

/** A started move: the organization as marked, and its job (null when it was in that mode already). */
export interface StartedMove {
  readonly org: Organization;
  readonly job: Job | null;
}

/**
 * Starts moving the organization's data to a new place in `mode`, recovering an abandoned operation
 * first (as the operator: a dead move from before jobs is finished).
 *
 * @returns the organization as marked and the queued job; `job` null when it is in `mode` already.
 * @throws NotFoundError `organization_not_found` (404) when there is no live organization.
 * @throws ConflictError `operation_in_progress` (409) while another change runs or holds the lock.
 * @throws a store failure; nothing was marked, or the move is undone by its job.
 */
export async function startMove(ctx: OrgContext, ref: MoveRef, mode: PlacementMode): Promise<StartedMove> {
  const s = ctx.stores;
  let org = ref.id !== undefined ? await s.orgs.findById(ref.id) : await findByName(ctx, ref.name ?? '');
  if (!org || org.status === 'creating' || org.status === 'deleting') throw notFound();
  if (org.operation && lapsed(ctx, org.operation.startedAt)) {
    await ctx.recover(org, 'operator');
    org = await s.orgs.findById(org.id);
    if (!org) throw notFound();
  }
  if (org.status !== 'active') throw operationInProgress();
  if (org.placement.mode === mode) return { org, job: null };

  return ctx.locks.hold(org.id, 'move', async () => {
    const current = await s.orgs.findById(org.id);
    if (current?.status !== 'active') throw current ? operationInProgress() : notFound();
    if (current.placement.mode === mode) return { org: current, job: null };
    const jobId = newId();
    const params: MoveParams = { from: current.placement, to: ctx.placements.forNew(current, mode) };
    const operation = {
      kind: 'move' as const,
      owner: jobId,
      jobId,
      startedAt: ctx.now(),
      ...params,
      eventId: newEventId(),
    };
    const event = await ctx.events.begin(
      {
        id: operation.eventId,
        orgId: org.id,
        type: 'organization.moved',
        target: { type: 'organization', id: org.id },
        data: { placement_mode: mode, previous_placement_mode: current.placement.mode },
      },
      { settleFirst: true },
    );
    // Recorded before the mark, woken after it: a move marked on the organization always has its job.
    const job = await ctx.jobs
      .start({ id: jobId, kind: 'move', orgId: org.id, params: { ...params } }, { wake: false })
      .catch(async (error) => {
        await ctx.events.drop(event.id).catch(() => undefined);
        throw error;
      });
    const marked = await s.orgs.transition(org.id, ['active'], { status: 'moving', operation }).catch(async (error) => {
      await ctx.events.settle(event.id).catch(() => undefined);
      await ctx.jobs.cancel(jobId).catch(() => undefined); // its worker finds no mark and undoes nothing
      throw error;
    });
    if (!marked) {
      await ctx.events.drop(event.id);
      await ctx.jobs.cancel(jobId).catch(() => undefined);
      throw operationInProgress();
    }
    await ctx.jobs.wake(jobId);
    return { org: marked, job };
  });
}

/**
 * Moves the organization's data to a new place in `mode` and waits for it, working on the job in
 * this process (`npm run org:move -- --wait`, tests).
 *
 * @returns the organization as it is afterwards (unchanged when it is in `mode` already).
 * @throws NotFoundError (404), ConflictError `operation_in_progress` (409) as {@link startMove}.
 * @throws ConflictError `move_failed` (409) when the job failed or was cancelled (the move was undone).
 */
export async function moveOrganization(ctx: OrgContext, ref: MoveRef, mode: PlacementMode): Promise<Organization> {
  const { org, job } = await startMove(ctx, ref, mode);
  if (!job) return org;
  let ended: Job;
  try {
    ended = await ctx.jobs.runToEnd(job.id);
  } catch (error) {
    // Switched already: moved (the job's clean-up is finished by its next run).
    const now = await ctx.stores.orgs.findById(org.id).catch(() => null);
    if (
      now?.status === 'active' &&
      now.placement.mode === mode &&
      samePlace(now.placement, (job.params as unknown as MoveParams).to)
    )
      return now;
    throw error;
  }
  // Read once more on a failure: the move's outcome is settled, only the answer is missing.
  const after = await ctx.stores.orgs.findById(org.id).catch(() => ctx.stores.orgs.findById(org.id));
  if (!after || !samePlace(after.placement, (job.params as unknown as MoveParams).to)) throw moveFailed(ended);
  return after;
}

/** The move job's handler: copy in verified batches, switch under the fencing token, drop the old place. */
export function moveJobHandler(ctx: OrgContext, batch: number = MOVE_BATCH): JobHandler {
  return {
    kind: 'move',
    cancellable: (job) => (job.progress as MoveProgress).phase !== 'switched',
    step: (job, context) => moveStep(ctx, job, batch, context),
    abandon: (job) => abandonMove(ctx, job),
  };
}

/** One step of a move job; see {@link moveJobHandler}. */
async function moveStep(ctx: OrgContext, job: Job, batchSize: number, context: StepContext): Promise<StepOutcome> {
  const s = ctx.stores;
  const { from, to } = job.params as unknown as MoveParams;
  const progress = job.progress as MoveProgress;
  if (progress.phase === 'switched') {
    await s.tenants.drop(from);
    return { done: true, result: { documents: progress.copied ?? 0, placement_mode: to.mode } };
  }
  const org = await s.orgs.findById(job.orgId);
  if (!org) throw new PermanentJobError('organization_not_found', 'The organization no longer exists.');
  if (org.operation?.kind !== 'move' || org.operation.jobId !== job.id || org.status !== 'moving') {
    if (samePlace(org.placement, to)) return { done: false, progress: { ...progress, phase: 'switched' } }; // a twin switched
    throw new PermanentJobError('move_not_marked', 'The organization is not being moved by this job.');
  }

  if (progress.phase === undefined || progress.phase === 'copy') {
    if (progress.phase === undefined) await s.tenants.create(to);
    const batch = await s.tenants.copyBatch(from, to, progress.after, batchSize, context.assertLease);
    const copied = (progress.copied ?? 0) + batch.documents;
    if (batch.done) return { done: false, progress: { phase: 'verify', copied } };
    return { done: false, progress: { phase: 'copy', copied, ...(batch.last ? { after: batch.last } : {}) } };
  }
  if (progress.phase === 'verify') {
    const batch = await s.tenants.verifyBatch(from, to, progress.after, batchSize, context.assertLease);
    const next = {
      copied: progress.copied ?? 0,
      verified: (progress.verified ?? 0) + batch.documents,
      repaired: (progress.repaired ?? 0) + batch.repaired,
    };
    if (batch.done) return { done: false, progress: { phase: 'rest', ...next } };
    return { done: false, progress: { phase: 'verify', ...next, ...(batch.last ? { after: batch.last } : {}) } };
  }

  // phase `rest`: the documents with other `_id`s, then the switch.
  await context.assertLease();
  const rest = await s.tenants.copyRest(from, to);
  const copied = (progress.verified ?? progress.copied ?? 0) + rest.documents;
  const op = org.operation;
  const done = await s.orgs.transition(
    org.id,
    ['moving'],
    { placement: to, status: 'active', updatedAt: ctx.now(), operation: null, placementVersion: nextFencingEpoch(org) },
    job.id, // the fencing token: only while the operation is still this job's
  );
  if (!done) throw operationInProgress(); // changed meanwhile: the next step looks again
  if (op.eventId) await ctx.events.commitAfter(op.eventId);
  metrics.count('moveCompleted');
  metrics.duration('move', done.updatedAt.getTime() - op.startedAt.getTime());
  return { done: false, progress: { phase: 'switched', copied } };
}

/**
 * Undoes a move whose job failed for good or was cancelled before its switch: the organization goes
 * back to `active` in its place (with a new fencing epoch, presenting the job's fencing token), the
 * target is dropped, the event settled. Nothing to undo once switched, or when the job never marked it.
 */
async function abandonMove(ctx: OrgContext, job: Job): Promise<void> {
  const { to } = job.params as unknown as MoveParams;
  const org = await ctx.stores.orgs.findById(job.orgId);
  if (!org || samePlace(org.placement, to)) return; // gone, or switched
  const op = org.operation;
  if (org.status === 'moving' && op?.kind === 'move' && op.jobId === job.id) {
    await undoMarkedMove(ctx, org, job.id);
    return;
  }
  // Never marked (the start failed after recording the job): its target may exist, unused.
  if (!(await ctx.stores.orgs.isPlaceInUse(to))) await ctx.stores.tenants.drop(to);
}

/**
 * Switches a marked move back presenting `token` (the fencing token its owner holds), then drops its
 * target and settles its event, unless the switch back was refused because the move is somebody
 * else's now (its target is theirs) or it committed meanwhile.
 */
async function undoMarkedMove(ctx: OrgContext, org: Organization, token: string | null): Promise<void> {
  const op = org.operation;
  if (op?.kind !== 'move') return;
  const undone = await ctx.stores.orgs.transition(
    org.id,
    ['moving'],
    { status: 'active', operation: null, placementVersion: nextFencingEpoch(org) },
    token,
  );
  if (!undone) {
    const now = await ctx.stores.orgs.findById(org.id);
    if (now && samePlace(now.placement, op.to)) return; // committed meanwhile
    if (now?.operation?.kind === 'move' && samePlace(now.operation.to, op.to)) return; // another owner's now
  }
  await ctx.stores.tenants.drop(op.to);
  if (op.eventId) await ctx.events.settle(op.eventId);
}

/**
 * Recovers an abandoned move, holding `lock`. A move run by a job is the job's while the job lives (the
 * reconciler's sweep wakes a job whose worker died); once its job has ended (or is missing) without the
 * switch, the move is undone. A move from before jobs (no `jobId`) is undone by a `request` and taken
 * over and finished, in one run, by the `operator`.
 *
 * @throws ConflictError `operation_in_progress` (409) when the operation changed meanwhile.
 */
export async function recoverMove(ctx: OrgContext, current: Organization, lock: OperationLock, by: RecoveredBy): Promise<void> {
  const op = current.operation;
  if (op?.kind !== 'move') return;
  if (op.jobId !== undefined) {
    const job = await ctx.stores.jobs.findById(op.jobId);
    if (job && !isFinal(job.state)) return;
    await undoMarkedMove(ctx, current, fencingTokenOf(op));
    return;
  }
  if (by === 'request') {
    await undoMarkedMove(ctx, current, fencingTokenOf(op));
    return;
  }
  const taken = await takeOver(ctx, current, lock, { to: ctx.placements.forNew(current, op.to.mode) });
  await ctx.stores.tenants.drop(op.to);
  await finishLegacyMove(ctx, taken);
}

/** Finishes a move from before jobs as its new owner: copies everything in one run, switches, drops the old place. */
async function finishLegacyMove(ctx: OrgContext, org: Organization): Promise<void> {
  const s = ctx.stores;
  const op = org.operation;
  if (op?.kind !== 'move') return;
  await s.tenants.create(op.to);
  for (const pass of [s.tenants.copyBatch, s.tenants.verifyBatch]) {
    let after: string | undefined;
    for (;;) {
      const batch = await pass.call(s.tenants, op.from, op.to, after, MOVE_BATCH);
      after = batch.last ?? after;
      if (batch.done) break;
    }
  }
  await s.tenants.copyRest(op.from, op.to);
  const done = await s.orgs.transition(
    org.id,
    ['moving'],
    { placement: op.to, status: 'active', updatedAt: ctx.now(), operation: null, placementVersion: nextFencingEpoch(org) },
    fencingTokenOf(op),
  );
  if (!done) throw operationInProgress();
  if (op.eventId) await ctx.events.commitAfter(op.eventId);
  metrics.count('moveCompleted');
  await s.tenants
    .drop(op.from)
    .catch((error) => log.warn('old place not removed; reconcile will', { orgId: org.id, ...errorFields(error) }));
}

/** 409 `move_failed`: the move's job failed or was cancelled, and the move was undone. */
function moveFailed(job: Job) {
  const reason = job.lastError ? ` (${job.lastError.code}: ${job.lastError.message})` : '';
  return new ConflictError(
    'move_failed',
    `The move ${job.state === 'cancelled' ? 'was cancelled' : 'failed'} and was undone${reason}.`,
  );
}
