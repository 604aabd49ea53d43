import { ConflictError, NotFoundError } from '../errors.ts';
import { newEventId } from '../events/log.ts';
import { errorFields, log } from '../log.ts';
import { OWNER } from '../members/permissions.ts';
import { metrics } from '../metrics.ts';
import type { OrgContext } from './context.ts';
import { notFound, operationInProgress } from './context.ts';
import type { Organization } from './model.ts';

/**
 * Archiving and restoring. Deleting an organization archives it: one conditional update of its
 * document (`active` to `archived`, with who and when, and the end of its retention window), under its
 * operation lock, with `organization.archived` begun before and committed after. Its data, members,
 * roles and name claims stay; what changes is who may act on it: the authorizer marks its tokens
 * (every route that acts on an organization refuses them), refresh, login and switch issue none for
 * it, and records routes see no data. Restoring is the same update back, within the window.
 * After the window, the reconciler purges it (`./purge.ts`).
 */

/** The default retention window: 30 days (ms). */
export const DEFAULT_ARCHIVE_RETENTION_MS = 30 * 86_400_000;

/** Who archives or restores: a user (their id) or the operator (the lifecycle script). */
export type LifecycleActor = { readonly userId: string } | 'operator';

const actorName = (by: LifecycleActor) => (by === 'operator' ? 'operator' : by.userId);

/** 409 `restore_window_closed`: the retention window has passed; the organization is purged or about to be. */
export const windowClosed = (purgeAfter: Date) =>
  new ConflictError(
    'restore_window_closed',
    `The organization could be restored until ${purgeAfter.toISOString()}; it is purged or about to be.`,
  );

/** 404 `archived_organization_not_found`: no archived organization of the caller's has this id. */
export const archivedNotFound = () =>
  new NotFoundError('archived_organization_not_found', 'You own no archived organization with this id.');

/**
 * Archives `org` (the caller's, checked by the delete that calls this), or answers as the archive an
 * earlier run made (releasing a lock that run left behind, once its lease has lapsed). Refuses while a
 * rename or move runs.
 *
 * @returns the archived organization.
 * @throws ConflictError `operation_in_progress` (409) while another change holds the lock or runs.
 * @throws a store failure; nothing changed, or the organization is archived and a retry answers the same.
 */
export async function archiveOrganization(ctx: OrgContext, org: Organization, by: LifecycleActor): Promise<Organization> {
  if (org.status === 'archived' || org.status === 'purging') {
    // A retry: the archive happened, so its event stands (an earlier run may have stopped before committing it),
    // and a lock that run could not release (its lease lapsed) goes now rather than at the reconciler's next run.
    if (org.archive) await ctx.events.commit(org.archive.eventId);
    await ctx.locks
      .releaseLapsed(org.id)
      .catch((error) =>
        log.warn('lapsed lock not released; the reconciler removes it', { orgId: org.id, ...errorFields(error) }),
      );
    return org;
  }
  if (org.status !== 'active') throw operationInProgress();
  return ctx.locks.hold(org.id, 'update', async () => {
    const now = ctx.now();
    const eventId = newEventId();
    const purgeAfter = new Date(now.getTime() + ctx.archiveRetentionMs);
    const archived = await ctx.events.around(
      {
        id: eventId,
        orgId: org.id,
        type: 'organization.archived',
        target: { type: 'organization', id: org.id },
        data: { name: org.name, purge_after: purgeAfter.toISOString() },
      },
      async () => {
        const done = await ctx.stores.orgs.transition(org.id, ['active'], {
          status: 'archived',
          updatedAt: now,
          archive: { archivedAt: now, purgeAfter, archivedBy: actorName(by), eventId },
        });
        if (!done) throw operationInProgress(); // it changed meanwhile: the event is settled (dropped)
        return done;
      },
      { settleFirst: true },
    );
    metrics.count('organizationArchived');
    return archived;
  });
}

/**
 * Restores an archived organization within its retention window: `active` again, with everything it
 * had. A legal hold does not stop a restore (it stops a purge). The operator may restore after the
 * window too, as long as the purge has not begun.
 *
 * @throws NotFoundError `organization_not_found` (404) when it is not archived (or gone).
 * @throws ConflictError `restore_window_closed` (409) after the window (`by` a user), or once a purge has begun.
 * @throws ConflictError `operation_in_progress` (409) while another change holds the lock.
 */
export async function restoreOrganization(ctx: OrgContext, orgId: string, by: LifecycleActor): Promise<Organization> {
  const org = await ctx.stores.orgs.findById(orgId);
  if (!org?.archive || (org.status !== 'archived' && org.status !== 'purging')) throw notFound();
  if (org.status === 'purging') throw windowClosed(org.archive.purgeAfter);
  if (by !== 'operator' && ctx.now() >= org.archive.purgeAfter) throw windowClosed(org.archive.purgeAfter);
  return ctx.locks.hold(org.id, 'update', async () => {
    const restored = await ctx.events.around(
      {
        id: newEventId(),
        orgId: org.id,
        type: 'organization.restored',
        target: { type: 'organization', id: org.id },
        data: { name: org.name, archived_at: org.archive?.archivedAt.toISOString() },
      },
      async () => {
        const done = await ctx.stores.orgs.transition(org.id, ['archived'], {
          status: 'active',
          updatedAt: ctx.now(),
          archive: null,
        });
        if (!done) throw windowClosed(org.archive?.purgeAfter ?? ctx.now()); // a purge began meanwhile
        return done;
      },
      { settleFirst: true },
    );
    metrics.count('organizationRestored');
    return restored;
  });
}

/**
 * Restores an archived organization `userId` owns (an owner's membership survives the archive).
 *
 * @throws NotFoundError `archived_organization_not_found` (404) when the user owns no archived organization with this id.
 * @throws as {@link restoreOrganization}.
 */
export async function restoreOwnedBy(ctx: OrgContext, userId: string, orgId: string): Promise<Organization> {
  const [membership, org] = await Promise.all([ctx.stores.memberships.find(orgId, userId), ctx.stores.orgs.findById(orgId)]);
  if (membership?.role !== OWNER || !org?.archive) throw archivedNotFound();
  return restoreOrganization(ctx, orgId, { userId });
}
