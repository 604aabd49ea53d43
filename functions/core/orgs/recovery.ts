import { ConflictError } from '../errors.ts';
import { errorFields, log } from '../log.ts';
import { isAbandoned, tryRecover } from './abandoned.ts';
import type { OrgContext, RecoveredBy } from './context.ts';
import { undoCreate } from './create.ts';
import { recoverDelete } from './delete.ts';
import { type Organization, samePlace } from './model.ts';
import { recoverMove } from './move.ts';
import { freeUnusedClaim } from './name-claims.ts';
import { clearPaid, payOwed } from './owed.ts';
import { purgeDue } from './purge.ts';
import { recoverRename } from './rename.ts';

/**
 * Recovery of abandoned operations (a run that died midway leaves its operation on the organization
 * document; once its lease has lapsed another run may take it over) and the reconciler, which recovers
 * every one it finds and frees the name claims, locks and places nobody uses.
 *
 * What recovery does per operation: a create is undone, a rename finished, a delete finished (at
 * once, no lease needed), a move left to its job while the job lives (the reconciler wakes a job
 * nobody works on) and undone once its job has ended without the switch. A committed operation's
 * owed cleanup (`./owed.ts`) is paid.
 */

/** One thing {@link reconcile} could not recover or free, and why (error name and message). */
export interface ReconcileFailure {
  /**
   * `settle`: recovering an organization's operation; `name`, `lock`, `place`: freeing one. The
   * values are part of the reconciler's log and answer, so they keep their first names.
   */
  readonly step: 'settle' | 'name' | 'lock' | 'place' | 'purge';
  /** The organization id, the slug, or `database.collection`. */
  readonly subject: string;
  readonly error: string;
}

/** What a reconcile run did: counts of what it recovered (`settled`) and freed, and what it could not settle. */
export interface ReconcileReport {
  readonly settled: number;
  readonly namesFreed: number;
  readonly locksFreed: number;
  readonly placesFreed: number;
  /** Archived organizations whose window had passed, purged (or whose purge was handed to a job or resumed). */
  readonly purged: number;
  /** Pending events settled: committed (their change happened) and dropped (it did not). */
  readonly eventsCommitted: number;
  readonly eventsDropped: number;
  /** Wake-ups sent to jobs nobody was working on (a lost wake-up, a worker that died). */
  readonly jobsWoken: number;
  readonly failures: readonly ReconcileFailure[];
}

/**
 * Finishes or undoes one organization's abandoned operation, under its lock (a delete shares the
 * delete lock), and pays the cleanup a committed one still owes. `by` says who asks (see
 * {@link RecoveredBy}). Nothing to do for an active organization that owes nothing.
 *
 * @throws ConflictError `operation_in_progress` (409) while the run that owns it renews its lease, or
 *   when the operation changed meanwhile (its fencing token no longer matches).
 * @throws a store failure.
 */
export async function recoverOperation(ctx: OrgContext, org: Organization, by: RecoveredBy): Promise<void> {
  if (org.status === 'active' && !org.owed) return;
  if (org.status === 'deleting') {
    await recoverDelete(ctx, org);
    return;
  }
  // 409 while the run that owns it renews its lease
  const paid = await ctx.locks.hold(org.id, 'settle', async (lock) => {
    const current = await ctx.stores.orgs.findById(org.id);
    if (!current) return null;
    const op = current.operation;
    switch (op ? current.status : 'active') {
      case 'creating':
        await undoCreate(ctx, current);
        return null;
      case 'renaming':
        return recoverRename(ctx, current, lock);
      case 'moving':
        await recoverMove(ctx, current, lock, by);
        return null;
      case 'active': // the run that committed died before paying its cleanup (it held this lock)
        return payOwed(ctx, current, { event: true });
      default:
        return null;
    }
  });
  await clearPaid(ctx, org.id, paid); // after the lock is released: see `clearPaid`
}

/**
 * Recovers the organization's operation if it is abandoned, as a request may (a dead move is undone).
 * For the records routes, which meet abandoned operations as refused writes. A live run (409) is left alone.
 *
 * @returns the organization as it is afterwards (null when gone).
 * @throws a store failure.
 */
export async function recoverAbandoned(ctx: OrgContext, orgId: string): Promise<Organization | null> {
  const org = await ctx.stores.orgs.findById(orgId);
  if (!org || !isAbandoned(ctx, org)) return org;
  await tryRecover(ctx, org); // false: somebody else is recovering it, or its run is alive
  return ctx.stores.orgs.findById(orgId);
}

/**
 * Recovers every operation whose lease has lapsed (as the operator: a dead move is finished), purges
 * every archived organization whose retention window has passed and that is not on legal hold (by
 * `options.purge`, else at once; see `./purge.ts`), frees
 * every name claim and lock nobody uses, and drops every place (collection or database) no
 * organization uses, such as a place a move left behind or one a late write created after its
 * organization had left it. A place's name is never used again (see `collectionPlacement`), so a place
 * found unused stays unused.
 *
 * One organization that cannot be recovered (a server refusal, a bug) does not stop the others: each
 * failure is logged and listed in `failures`, and the rest goes on; a live run's 409 is neither.
 * Safe to run at any time and from several places at once.
 *
 * @returns the counts of what it recovered and freed, and the failures.
 * @throws a store failure of one of the listings.
 */
export async function reconcile(
  ctx: OrgContext,
  options: { purge?: (orgId: string) => Promise<unknown> } = {},
): Promise<ReconcileReport> {
  const s = ctx.stores;
  const before = new Date(ctx.now().getTime() - ctx.leaseMs);
  const report = {
    settled: 0,
    namesFreed: 0,
    locksFreed: 0,
    placesFreed: 0,
    purged: 0,
    eventsCommitted: 0,
    eventsDropped: 0,
    jobsWoken: 0,
    failures: [] as ReconcileFailure[],
  };
  const attempt = async (step: ReconcileFailure['step'], subject: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      if (error instanceof ConflictError) return; // a live run holds it; it is not ours to recover now
      const fields = errorFields(error);
      log.error('reconcile could not settle this; it goes on with the rest', { step, subject, ...fields });
      report.failures.push({ step, subject, error: `${fields.errorName}: ${fields.errorMessage ?? ''}` });
    }
  };

  for (const org of await s.orgs.listUnsettled(before)) {
    await attempt('settle', org.id, async () => {
      await recoverOperation(ctx, org, 'operator');
      report.settled += 1;
    });
  }
  for (const claim of await s.names.listClaimedBefore(before)) {
    await attempt('name', claim.slug, async () => {
      if (await freeUnusedClaim(ctx, claim.slug, claim.orgId, claim.claimedAt)) report.namesFreed += 1;
    });
  }
  for (const lock of await s.locks.listStartedBefore(before)) {
    await attempt('lock', lock.orgId, async () => {
      const org = await s.orgs.findById(lock.orgId);
      if (org?.operation) return; // recovered above, or by its own run
      // Still silent since the listing: a holder whose renewal landed meanwhile keeps its lock.
      if (await s.locks.releaseLapsed(lock.orgId, lock.lockId, before)) report.locksFreed += 1;
    });
  }
  // Archived organizations whose retention window has passed (and not on legal hold): purged.
  const purges = await purgeDue(ctx, options.purge);
  report.purged = purges.purged;
  for (const failure of purges.failures) report.failures.push({ step: 'purge', subject: failure.orgId, error: failure.error });
  // Places first, then what uses them: a place made after the listing is not judged, and every
  // place is recorded on its organization before it is made.
  const places = await s.tenants.list();
  const inUse = await s.orgs.placesInUse();
  for (const place of places) {
    if (inUse.some((used) => samePlace(used, place))) continue;
    await attempt('place', `${place.database}.${place.collection}`, async () => {
      await s.tenants.drop(place);
      report.placesFreed += 1;
    });
  }
  // Last: the operations recovered above have committed or dropped their own events by now.
  const events = await ctx.events.settleDue(ctx.leaseMs);
  report.eventsCommitted = events.committed;
  report.eventsDropped = events.dropped;
  report.jobsWoken = await ctx.jobs.sweep();
  return report;
}
