import { errorFields, log } from '../log.ts';
import { lapsed, type OrgContext } from './context.ts';
import { type OperationLock, type Organization, type Owed, type Placement, samePlace } from './model.ts';

/**
 * The cleanup a committed operation still owes (see {@link Owed}): the old name claim, the old place,
 * the operation's event and the committing run's lock. The commit records it in the same conditional
 * update that makes the change, so a run killed after its commit leaves it on the organization; the
 * run pays it, releases its lock, then removes the record. Whoever meets a record a lease old (a
 * request, the reconciler) pays it under the organization's lock, which frees the dead run's lock on
 * the way.
 */

/** What a commit leaves to clean up: names and places the organization no longer uses. */
export interface Debt {
  readonly names: readonly string[];
  readonly places: readonly Placement[];
  readonly eventId?: string;
}

/**
 * The {@link Owed} record a commit by the run holding `lock` writes: `debt` added to what `org` still
 * owed from an earlier commit, without the name and place the organization has after this commit.
 */
export function owedAfter(
  ctx: OrgContext,
  org: Organization,
  lock: Pick<OperationLock, 'lockId'>,
  debt: Debt,
  kept: { readonly slug: string; readonly placement: Placement },
): Owed {
  const prior = org.owed;
  const names = [...new Set([...(prior?.names ?? []), ...debt.names])].filter((slug) => slug !== kept.slug);
  const places = [...(prior?.places ?? []), ...debt.places].filter(
    (place, i, all) => !samePlace(place, kept.placement) && all.findIndex((p) => samePlace(p, place)) === i,
  );
  const eventId = debt.eventId ?? prior?.eventId;
  return { owner: lock.lockId, at: ctx.now(), names, places, ...(eventId ? { eventId } : {}) };
}

/** True when `org` owes a cleanup whose committing run has been silent a whole lease (dead, or done but for the record). */
export function owesLapsed(ctx: OrgContext, org: Organization): boolean {
  return org.owed !== undefined && lapsed(ctx, org.owed.at);
}

/**
 * Pays `org`'s owed cleanup, holding its lock: drops the places and releases the name claims the
 * organization no longer uses (never its own name, nor the one a rename in progress goes to), and,
 * with `event`, commits the operation's event. Every step is idempotent; a failure is logged and the
 * record stays for the next one who meets it.
 *
 * @returns the record paid in full (to remove once the lock is released), or null.
 */
export async function payOwed(ctx: OrgContext, org: Organization, options: { event: boolean }): Promise<Owed | null> {
  const owed = org.owed;
  if (!owed) return null;
  const s = ctx.stores;
  const target = org.operation?.kind === 'rename' ? org.operation.toSlug : undefined;
  const inUse = (place: Placement) =>
    samePlace(place, org.placement) ||
    (org.operation !== undefined &&
      'from' in org.operation &&
      (samePlace(place, org.operation.from) || samePlace(place, org.operation.to)));
  try {
    for (const place of owed.places) if (!inUse(place)) await s.tenants.drop(place);
    for (const slug of owed.names) if (slug !== org.slug && slug !== target) await s.names.release(slug, org.id);
    if (options.event && owed.eventId) await ctx.events.commit(owed.eventId);
    return owed;
  } catch (error) {
    log.warn('owed cleanup not finished; the next request or reconcile will', { orgId: org.id, ...errorFields(error) });
    return null;
  }
}

/**
 * Removes the record of a cleanup paid in full, if it is still the one paid (a later commit replaces
 * it). Called once the lock is released, so that a run killed in between leaves the record, never a
 * lock held by nobody. A failure is logged: the record stays, and paying it again is harmless.
 */
export async function clearPaid(ctx: OrgContext, orgId: string, paid: Owed | null): Promise<void> {
  if (!paid) return;
  await ctx.stores.orgs
    .clearOwed(orgId, paid.owner)
    .catch((error) => log.warn('paid cleanup not marked; it is paid again later', { orgId, ...errorFields(error) }));
}
