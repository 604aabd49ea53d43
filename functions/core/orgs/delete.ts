import type { CallerIdentity } from '../auth/tokens.ts';
import { metrics } from '../metrics.ts';
import { archiveOrganization } from './archive.ts';
import type { OrgContext } from './context.ts';
import { operationInProgress } from './context.ts';
import { ownedBy } from './lookup.ts';
import type { Organization } from './model.ts';
import { removePeopleOf } from './people.ts';

/**
 * The delete operation. Deleting an organization archives it (`./archive.ts`): its data stays, its
 * members lose access, its name stays reserved, and it can be restored within the stage's retention
 * window; after the window the reconciler purges it (`./purge.ts`). An organization found `deleting`
 * was deleted the one-step way of the time before archiving (sessions, people, places, name claims,
 * lock, document, in that order): a retry, a request meeting it or recovery finishes that delete
 * ({@link finishDelete}), at once, without waiting for a lease.
 */

/**
 * Deletes (archives) the caller's organization named `name`; a repeat answers as the first did.
 *
 * @returns the organization, archived (or as it was, when an earlier one-step delete is finished).
 * @throws NotFoundError `organization_not_found` (404), ForbiddenError `not_your_organization` (403).
 * @throws ConflictError `operation_in_progress` (409) while a rename or move runs, or another change holds the lock.
 * @throws a store failure; nothing changed, or the organization is archived and a retry answers the same.
 */
export async function deleteOrganization(ctx: OrgContext, caller: CallerIdentity, name: string): Promise<Organization> {
  const org = await ownedBy(ctx, caller, name);
  if (org.status === 'renaming' || org.status === 'moving') throw operationInProgress();
  if (org.status === 'deleting') {
    await finishDelete(ctx, org); // a one-step delete begun before archiving: finish it
    return org;
  }
  return archiveOrganization(ctx, org, { userId: caller.userId });
}

/**
 * Finishes a delete from wherever it stopped; every step is idempotent. Also drops both places of a
 * rename or move the organization was in the middle of.
 *
 * @throws a store failure; a retry finishes it.
 */
export async function finishDelete(ctx: OrgContext, org: Organization): Promise<void> {
  const s = ctx.stores;
  // Marked: the delete only goes forward, so its event stands from here.
  if (org.operation?.kind === 'delete' && org.operation.eventId) await ctx.events.commit(org.operation.eventId);
  // People first: the members' tokens stop at the next look-up, whatever the slower steps take.
  await s.sessions.removeByOrg(org.id);
  await removePeopleOf(ctx, org.id, { withCreator: true });
  await s.tenants.drop(org.placement);
  if (org.operation?.kind === 'rename' || org.operation?.kind === 'move') {
    await s.tenants.drop(org.operation.from);
    await s.tenants.drop(org.operation.to);
  }
  await s.names.releaseAllOf(org.id);
  await s.locks.release(org.id);
  await s.orgs.remove(org.id);
  metrics.count('organizationDeleted');
}

/**
 * Recovers an abandoned delete: shares (or takes) the delete lock and finishes it.
 *
 * @throws ConflictError `operation_in_progress` (409) when another kind of change holds a live lock.
 */
export async function recoverDelete(ctx: OrgContext, org: Organization): Promise<void> {
  await ctx.locks.shareForDelete(org.id);
  await finishDelete(ctx, org);
}
