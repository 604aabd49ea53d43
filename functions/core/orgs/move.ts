import { newEventId } from '../events/log.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import { lapsed, notFound, type OrgContext, operationInProgress, type RecoveredBy } from './context.ts';
import { fencingTokenOf, nextFencingEpoch, takeOver } from './fencing.ts';
import { findByName } from './lookup.ts';
import { type OperationLock, type Organization, type PlacementMode, samePlace } from './model.ts';

/**
 * The move operation (an operator's action): moves an organization's data to a new place in another
 * placement mode. The organization is marked `moving` (records writes are refused, reads still served
 * from the current place) with this run's lock id as fencing token and a target of its own; the data
 * is copied and verified (re-tagged with the target's generation), the placement switched under the
 * fencing token with a new fencing epoch, the old place dropped. A failed step undoes the move; an
 * abandoned move is undone by a request or finished by the operator ({@link recoverMove}).
 */

/** Which organization to move: by id, or else by name. */
export interface MoveRef {
  readonly id?: string;
  readonly name?: string;
}

/**
 * Moves the organization's data to a new place in `mode`, recovering an abandoned operation first
 * (as the operator: a dead move is finished).
 *
 * @returns the organization as it is afterwards (unchanged when it is in `mode` already).
 * @throws NotFoundError `organization_not_found` (404) when there is no live organization.
 * @throws ConflictError `operation_in_progress` (409) while another change runs or holds the lock.
 * @throws a store failure (the copy's verification failing, for one); the move is undone.
 */
export async function moveOrganization(ctx: OrgContext, ref: MoveRef, mode: PlacementMode): Promise<Organization> {
  const s = ctx.stores;
  let org = ref.id !== undefined ? await s.orgs.findById(ref.id) : await findByName(ctx, ref.name ?? '');
  if (!org || org.status === 'creating' || org.status === 'deleting') throw notFound();
  if (org.operation && lapsed(ctx, org.operation.startedAt)) {
    await ctx.recover(org, 'operator');
    org = await s.orgs.findById(org.id);
    if (!org) throw notFound();
  }
  if (org.status !== 'active') throw operationInProgress();
  if (org.placement.mode === mode) return org;

  return ctx.locks.hold(org.id, 'move', async (lock) => {
    const current = await s.orgs.findById(org.id);
    if (current?.status !== 'active') throw current ? operationInProgress() : notFound();
    if (current.placement.mode === mode) return current;
    const operation = {
      kind: 'move' as const,
      owner: lock.lockId,
      startedAt: ctx.now(),
      from: current.placement,
      to: ctx.placements.forNew(current, mode),
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
    const marked = await s.orgs.transition(org.id, ['active'], { status: 'moving', operation }).catch(async (error) => {
      await ctx.events.settle(event.id).catch(() => undefined);
      throw error;
    });
    if (!marked) {
      await ctx.events.drop(event.id);
      throw operationInProgress();
    }
    return await runMove(ctx, marked);
  });
}

/** Finishes a move this run owns, or undoes it if a step fails. */
async function runMove(ctx: OrgContext, marked: Organization): Promise<Organization> {
  try {
    return await finishMove(ctx, marked);
  } catch (error) {
    await undoMove(ctx, marked).catch((undoError) =>
      log.error('move rollback failed; reconcile will finish the move', { orgId: marked.id, ...errorFields(undoError) }),
    );
    throw error;
  }
}

/**
 * Rolls a move forward as the operation's owner: copy and verify into the owner's own target (from
 * scratch, so a retry is safe), switch (presenting the owner's fencing token, with a new fencing
 * epoch), drop the old place.
 *
 * @throws ConflictError `operation_in_progress` (409) when the fencing token no longer matches.
 */
async function finishMove(ctx: OrgContext, org: Organization): Promise<Organization> {
  const s = ctx.stores;
  const op = org.operation;
  if (op?.kind !== 'move') throw new Error('no move in progress');
  await s.tenants.copy(op.from, op.to);
  const done = await s.orgs.transition(
    org.id,
    ['moving'],
    {
      placement: op.to,
      status: 'active',
      updatedAt: ctx.now(),
      operation: null,
      placementVersion: nextFencingEpoch(org),
    },
    fencingTokenOf(op),
  );
  if (!done) throw operationInProgress();
  if (op.eventId) await ctx.events.commitAfter(op.eventId);
  metrics.count('moveCompleted');
  metrics.duration('move', done.updatedAt.getTime() - op.startedAt.getTime());
  await s.tenants
    .drop(op.from)
    .catch((error) => log.warn('old place not removed; reconcile will', { orgId: org.id, ...errorFields(error) }));
  return done;
}

/**
 * Undoes a move `org`'s operation owner started and has not committed: the data never left its
 * place. The switch back (with a new fencing epoch) presents that owner's fencing token; the owner's
 * target is dropped either way (no other run ever copies to it, and it was not committed), unless it
 * is the placement now.
 */
async function undoMove(ctx: OrgContext, org: Organization): Promise<void> {
  const s = ctx.stores;
  const op = org.operation;
  if (op?.kind !== 'move') return;
  const current = await s.orgs.findById(org.id);
  if (!current || samePlace(current.placement, op.to)) return; // gone, or committed after all
  if (current.status === 'moving') {
    await s.orgs.transition(
      org.id,
      ['moving'],
      { status: 'active', operation: null, placementVersion: nextFencingEpoch(current) },
      fencingTokenOf(op),
    );
  }
  await s.tenants.drop(op.to);
  if (op.eventId) await ctx.events.settle(op.eventId); // dropped, unless the move committed meanwhile
}

/**
 * Recovers an abandoned move, holding `lock`. A `request` undoes it (bounded work; the operator runs
 * the move again); the `operator` takes it over with a target of its own (the run it takes over may
 * still be copying to its target, which is dropped) and finishes it.
 *
 * @throws ConflictError `operation_in_progress` (409) when the operation changed meanwhile.
 */
export async function recoverMove(ctx: OrgContext, current: Organization, lock: OperationLock, by: RecoveredBy): Promise<void> {
  const op = current.operation;
  if (op?.kind !== 'move') return;
  if (by === 'request') {
    await undoMove(ctx, current);
    return;
  }
  const taken = await takeOver(ctx, current, lock, { to: ctx.placements.forNew(current, op.to.mode) });
  await ctx.stores.tenants.drop(op.to);
  await finishMove(ctx, taken);
}
