import type { CallerIdentity } from '../auth/tokens.ts';
import { newEventId } from '../events/log.ts';
import { metrics } from '../metrics.ts';
import type { OrgContext } from './context.ts';
import { operationInProgress } from './context.ts';
import { ownedBy } from './lookup.ts';
import type { Organization } from './model.ts';
import { removePeopleOf } from './people.ts';

/**
 * The delete operation: mark the organization `deleting` (under a delete lock, which other deletes
 * share: deletes are idempotent and may overlap), then remove its sessions and its people
 * (memberships, custom roles, and users who belong to no other organization; members' tokens stop
 * here), drop its places, release its name claims, its lock and its document, in that order. A delete is never undone: a
 * retry, a request meeting it or recovery finishes it ({@link finishDelete}), at once, without
 * waiting for a lease.
 */

/**
 * Deletes the caller's organization named `name`, or finishes a delete an earlier run began.
 *
 * @returns the organization as it was when marked.
 * @throws NotFoundError `organization_not_found` (404), ForbiddenError `not_your_organization` (403).
 * @throws ConflictError `operation_in_progress` (409) while a rename or move runs, or another change holds the lock.
 * @throws a store failure; the organization stays `deleting` and a retry finishes it.
 */
export async function deleteOrganization(ctx: OrgContext, caller: CallerIdentity, name: string): Promise<Organization> {
  const s = ctx.stores;
  const org = await ownedBy(ctx, caller, name);
  if (org.status === 'renaming' || org.status === 'moving') throw operationInProgress();
  if (org.status === 'deleting') {
    await finishDelete(ctx, org); // a retry: finish what the earlier run started
    return org;
  }
  await ctx.locks.shareForDelete(org.id);
  const eventId = newEventId();
  // Begun first: a created event whose organization is gone is kept only if a delete was begun.
  await ctx.events.begin(
    {
      id: eventId,
      orgId: org.id,
      type: 'organization.deleted',
      target: { type: 'organization', id: org.id },
      data: { name: org.name },
    },
    { settleFirst: true },
  );
  const marked = await s.orgs
    .transition(org.id, ['active'], { status: 'deleting', operation: { kind: 'delete', startedAt: ctx.now(), eventId } })
    .catch(async (error) => {
      await ctx.events.settle(eventId).catch(() => undefined);
      throw error;
    });
  if (!marked) {
    await ctx.events.drop(eventId).catch(() => undefined);
    await s.locks.release(org.id).catch(() => undefined);
    throw operationInProgress();
  }
  await finishDelete(ctx, marked);
  return marked;
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
