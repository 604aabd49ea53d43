import type { CallerIdentity } from '../auth/tokens.ts';
import { newEventId } from '../events/log.ts';
import { errorFields, log } from '../log.ts';
import { nameTaken, notFound, type OrgContext, operationInProgress } from './context.ts';
import { fencingTokenOf, nextFencingEpoch, takeOver } from './fencing.ts';
import { ownedBy, underLegacyKey } from './lookup.ts';
import { type OperationLock, type Organization, type Owed, samePlace, toSlug } from './model.ts';
import { claimName } from './name-claims.ts';
import { clearPaid, owedAfter, payOwed } from './owed.ts';

/**
 * The update operation: a change of the organization's name (the caller's own email and password
 * change through the account routes, which ask for the current password). A rename to a new key is the multi-step part: claim the new name, record the `rename` operation (its
 * owner's fencing token, where the data goes, the identity of the collection), move the collection
 * (collection mode), commit under the fencing token with a new fencing epoch, recording the cleanup it
 * owes on the organization in the same update (see `./owed.ts`), then drop the old place, release the
 * old name and the lock, and remove the record. Once recorded, a rename only goes forward: a failed step is retried once,
 * and an abandoned rename is finished by recovery ({@link recoverRename}).
 */

/** What an update changes: the name (`newName`) of the organization called `name`. */
export interface UpdateInput {
  readonly name: string;
  readonly newName?: string;
}

/**
 * Applies `input` to the caller's organization under its operation lock.
 *
 * @returns the organization as it is afterwards.
 * @throws NotFoundError `organization_not_found` (404) when no live organization has `input.name`.
 * @throws ForbiddenError `not_your_organization` (403) when it is not the caller's (or the caller's admin is gone).
 * @throws ConflictError `operation_in_progress` (409, Retry-After) while another change holds the lock.
 * @throws ConflictError `organization_name_taken` (409); nothing is changed.
 */
export async function updateOrganization(ctx: OrgContext, caller: CallerIdentity, input: UpdateInput): Promise<Organization> {
  const found = await ownedBy(ctx, caller, input.name);
  if (found.status !== 'active') throw found.status === 'deleting' ? notFound() : operationInProgress();

  const { org, paid } = await ctx.locks.hold(found.id, 'update', async (lock) => {
    const org = await ctx.stores.orgs.findById(found.id); // as it is now that nobody else may change it
    if (org?.status !== 'active') throw org && org.status !== 'deleting' ? operationInProgress() : notFound();
    return await applyUpdate(ctx, org, input, lock);
  });
  await clearPaid(ctx, org.id, paid); // after the lock is released: see `clearPaid`
  return org;
}

/** An organization after a change, and the owed cleanup the change paid in full (removed after the lock). */
interface Settled {
  readonly org: Organization;
  readonly paid: Owed | null;
}

const unpaid = (org: Organization): Settled => ({ org, paid: null });

/** The update under the lock; on failure a recorded rename goes forward, an unrecorded one frees its new name. */
async function applyUpdate(ctx: OrgContext, org: Organization, input: UpdateInput, lock: OperationLock): Promise<Settled> {
  const s = ctx.stores;
  const newName = input.newName;
  const newSlug = newName === undefined ? undefined : toSlug(newName);
  const renames = newSlug !== undefined && newSlug !== org.slug;
  if (renames && newName !== undefined) {
    const holder = await underLegacyKey(ctx, newName, newSlug);
    if (holder && holder.id !== org.id) throw nameTaken();
    await claimName(ctx, newSlug, org.id);
  }

  try {
    if (newName === undefined || newSlug === undefined) {
      return unpaid((await s.orgs.transition(org.id, ['active'], { updatedAt: ctx.now() })) ?? org);
    }
    if (!renames && newName === org.name) {
      // The same name again: nothing changes, so nothing is recorded.
      return unpaid((await s.orgs.transition(org.id, ['active'], { updatedAt: ctx.now() })) ?? org);
    }
    if (!renames) {
      const renamed = await ctx.events.around(
        renamedEvent(org, newName),
        () => s.orgs.transition(org.id, ['active'], { name: newName, updatedAt: ctx.now() }),
        { settleFirst: true },
      );
      if (!renamed) throw operationInProgress();
      return unpaid(renamed);
    }
    return await startRename(ctx, org, newName, newSlug, lock);
  } catch (error) {
    if (renames) {
      // Once marked, a rename only goes forward: one more try here, else the next request that meets
      // it or the reconciler finishes it. Before the mark nothing has moved: free the new name.
      const forward = await retryRename(ctx, org.id, newSlug, lock).catch((retryError) => {
        log.error('rename not finished; the next request or reconcile will', { orgId: org.id, ...errorFields(retryError) });
        return 'pending' as const;
      });
      if (typeof forward === 'object') return forward;
      if (forward === 'not_marked') {
        await s.names
          .release(newSlug, org.id)
          .catch((undoError) =>
            log.error('new name not released; reconcile will free it', { orgId: org.id, ...errorFields(undoError) }),
          );
      }
    }
    throw error;
  }
}

/** Records the rename on the organization (status `renaming`, this run's lock id as fencing token), then finishes it. */
async function startRename(
  ctx: OrgContext,
  org: Organization,
  toName: string,
  toSlug: string,
  lock: OperationLock,
): Promise<Settled> {
  const from = org.placement;
  const to = ctx.placements.forRename(from, toSlug);
  // Recorded before anything moves, so that a retry can tell the data from a stray a late write made.
  const sourceId = samePlace(from, to) ? undefined : await ctx.stores.tenants.identify(from);
  const operation = {
    kind: 'rename' as const,
    owner: lock.lockId,
    startedAt: ctx.now(),
    toName,
    toSlug,
    from,
    to,
    ...(sourceId ? { sourceId } : {}),
    eventId: newEventId(),
  };
  const event = await ctx.events.begin({ ...renamedEvent(org, toName), id: operation.eventId }, { settleFirst: true });
  const marked = await ctx.stores.orgs.transition(org.id, ['active'], { status: 'renaming', operation }).catch(async (error) => {
    await ctx.events.settle(event.id).catch(() => undefined); // marked or not, the rule tells
    throw error;
  });
  if (!marked) {
    await ctx.events.drop(event.id);
    throw operationInProgress();
  }
  return finishRename(ctx, marked);
}

/**
 * After a failed step of a rename to `toSlug`: the organization if the rename is done (this run
 * finishes it if it still holds the fencing token, or a run that took it over has), `pending` if
 * another run owns it now, `not_marked` if it never began (nothing moved; the new name may be freed).
 */
async function retryRename(
  ctx: OrgContext,
  orgId: string,
  toSlug: string,
  lock: OperationLock,
): Promise<Settled | 'not_marked' | 'pending'> {
  const current = await ctx.stores.orgs.findById(orgId);
  if (!current) return 'pending';
  if (current.slug === toSlug && current.status !== 'renaming') return unpaid(current); // taken over and finished
  const op = current.operation;
  if (op?.kind !== 'rename') return 'not_marked';
  if (op.owner !== lock.lockId) return 'pending';
  return finishRename(ctx, current);
}

/**
 * Rolls a rename forward from wherever it stopped, as the operation's owner. Every step is
 * idempotent; the commit presents the owner's fencing token, so a run that was taken over changes
 * nothing (moving the collection again is a no-op: the collection is known by its identity).
 *
 * The commit records the cleanup it owes (the old name, the old place) with the organization; this run
 * pays it at once, and whoever meets it a lease later pays it if this run died first (`./owed.ts`).
 *
 * @returns the renamed organization, and the owed cleanup if it was paid in full.
 * @throws ConflictError `operation_in_progress` (409) when the fencing token no longer matches.
 * @throws a store failure of the move or the commit (cleanup failures are logged and left owed).
 */
async function finishRename(ctx: OrgContext, org: Organization): Promise<Settled> {
  const s = ctx.stores;
  const op = org.operation;
  if (op?.kind !== 'rename') throw new Error('no rename in progress');
  const moves = !samePlace(op.from, op.to);
  if (moves) await s.tenants.renameCollection(op.from, op.to, op.sourceId);
  // The old place's name is never used again, so whatever is there after the commit is a stray a late
  // write made: it is owed a drop.
  const debt = { names: [org.slug], places: moves ? [op.from] : [], ...(op.eventId ? { eventId: op.eventId } : {}) };
  const owner = fencingTokenOf(op);
  const done = await s.orgs.transition(
    org.id,
    ['renaming'],
    {
      name: op.toName,
      slug: op.toSlug,
      placement: op.to,
      status: 'active',
      updatedAt: ctx.now(),
      operation: null,
      owed: owedAfter(ctx, org, { lockId: owner ?? '' }, debt, { slug: op.toSlug, placement: op.to }),
      ...(moves ? { placementVersion: nextFencingEpoch(org) } : {}),
    },
    owner,
  );
  if (!done) throw operationInProgress();
  if (op.eventId) await ctx.events.commitAfter(op.eventId);
  // Committed. The rest is owed cleanup (see `./owed.ts`).
  return { org: done, paid: await payOwed(ctx, done, { event: false }) };
}

/**
 * Recovers an abandoned rename, holding `lock`: takes the operation over (its lock id becomes the
 * fencing token) and rolls it forward.
 *
 * @returns the owed cleanup if it was paid in full (to remove once `lock` is released; see `clearPaid`).
 * @throws ConflictError `operation_in_progress` (409) when the operation changed meanwhile.
 */
export async function recoverRename(ctx: OrgContext, current: Organization, lock: OperationLock): Promise<Owed | null> {
  return (await finishRename(ctx, await takeOver(ctx, current, lock))).paid;
}

/** The `organization.renamed` event of a rename of `org` to `name`. */
function renamedEvent(org: Organization, name: string) {
  return {
    orgId: org.id,
    type: 'organization.renamed' as const,
    target: { type: 'organization' as const, id: org.id },
    data: { name, previous_name: org.name },
  };
}
