import { type OrgContext, operationInProgress } from './context.ts';
import type { Operation, OperationLock, Organization } from './model.ts';

/**
 * Fencing of multi-step operations. Two numbers keep a run that lost its lease from doing harm:
 *
 * - the **fencing token**: a rename or move records the lock id of the run doing it as the operation's
 *   `owner`; every later change of the organization document by that run presents it (the `owner`
 *   argument of `OrganizationStore.transition`), and a take-over replaces it, so a run that was taken
 *   over can neither commit nor undo anything. A request that undoes a dead move does not take it
 *   over: it presents the dead run's own token, so if that run is only slow, the two race on one
 *   conditional update and exactly one of them wins;
 * - the **fencing epoch**: `placementVersion` goes up each time a change that moved (or tried to move)
 *   the data ends, committed or undone; a records write compares it before and after, so no write is
 *   acknowledged in a place the data has left (see `#core/records/service.ts`). The data generation of
 *   a place (`Placement.gen`) fences the data itself: a copy re-tags what it copies.
 */

/** The fencing epoch an organization gets when a change that moved (or tried to move) its data ends. */
export const nextFencingEpoch = (org: Organization): number => (org.placementVersion ?? 0) + 1;

/** The fencing token a change of `op`'s organization document must present (`null`: an operation from before owners). */
export const fencingTokenOf = (op: Operation): string | null => ('owner' in op ? (op.owner ?? null) : null);

/**
 * Makes the run holding `lock` the owner of the organization's operation (its lock id the new fencing
 * token), if `current`'s owner still owns it: one conditional update, so of a take-over and the old
 * owner's own commit only one applies. `changes` go in with it (a move's new target).
 *
 * @returns the organization as it is after the take-over.
 * @throws ConflictError `operation_in_progress` (409) when `current` has no operation, or the operation
 *   changed meanwhile (its owner committed, undid it, or another run took it over first).
 */
export async function takeOver(
  ctx: OrgContext,
  current: Organization,
  lock: OperationLock,
  changes: Partial<Operation> = {},
): Promise<Organization> {
  const op = current.operation;
  if (!op) throw operationInProgress();
  const operation = { ...op, ...changes, owner: lock.lockId } as Operation;
  const taken = await ctx.stores.orgs.transition(current.id, [current.status], { operation }, fencingTokenOf(op));
  if (!taken) throw operationInProgress();
  return taken;
}
