import { ConflictError } from '../errors.ts';
import { lapsed, type OrgContext } from './context.ts';
import type { Organization } from './model.ts';
import { owesLapsed } from './owed.ts';
import { removePeopleOf } from './people.ts';

/**
 * Telling an abandoned operation (its run died: its lease lapsed) from a live one, and recovering it
 * on the way when a request meets it. Recovery itself (which operation is finished, which undone) is
 * `./recovery.ts`; these helpers reach it through {@link OrgContext.recover}.
 */

/**
 * True when the organization's operation may be recovered by someone else now: a delete at once
 * (deletes are idempotent and may overlap), a move run by a job never (see `recoverMove`), any other
 * operation once its lease has lapsed, and the cleanup a committed operation owes once it is a lease
 * old (see `./owed.ts`).
 */
export function isAbandoned(ctx: OrgContext, org: Organization): boolean {
  if (org.status === 'deleting') return true;
  // A move run by a job is the job's: the reconciler's sweep wakes it if its worker died.
  if (org.operation?.kind === 'move' && org.operation.jobId !== undefined) return false;
  return (org.operation !== undefined && lapsed(ctx, org.operation.startedAt)) || owesLapsed(ctx, org);
}

/**
 * Recovers `org`'s operation as a request may.
 *
 * @returns false when its run turned out to be alive (it renews its lease) or another run is
 *   recovering it (any 409); true when recovery ran.
 * @throws whatever else recovery throws (a store failure).
 */
export async function tryRecover(ctx: OrgContext, org: Organization): Promise<boolean> {
  try {
    await ctx.recover(org, 'request');
    return true;
  } catch (error) {
    if (error instanceof ConflictError) return false;
    throw error;
  }
}

/**
 * Recovers the organization's abandoned operation if it has one (a delete at once).
 *
 * @returns true when the organization is gone and no longer blocks a name or an email (a missing
 *   organization's leftover admins are removed on the way); false when it is still there.
 * @throws a store failure of the recovery.
 */
export async function recoverIfAbandoned(ctx: OrgContext, orgId: string): Promise<boolean> {
  const org = await ctx.stores.orgs.findById(orgId);
  if (!org) {
    await removePeopleOf(ctx, orgId, { withCreator: true });
    return true;
  }
  if (!isAbandoned(ctx, org) || !(await tryRecover(ctx, org))) return false;
  return (await ctx.stores.orgs.findById(orgId)) === null;
}
