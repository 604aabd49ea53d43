import { isAbandoned, tryRecover } from './abandoned.ts';
import { lapsed, nameTaken, type OrgContext } from './context.ts';

/**
 * Name claims: a slug is reserved in `org_names` by inserting it as `_id`, which is atomic on every
 * MongoDB flavour. An organization holds its old and its new name while a rename runs, so the old
 * collection name can never be handed to somebody else before the data has left it; a claim a dead
 * run left behind is freed once its lease has lapsed.
 */

/**
 * Reserves `slug` for `orgId`, freeing a claim left by a dead run first. A claim `orgId` already holds
 * (from an earlier run of the same operation) is fine.
 *
 * @throws ConflictError `organization_name_taken` (409) when another organization holds the claim and uses it,
 *   or its run may still be alive.
 */
export async function claimName(ctx: OrgContext, slug: string, orgId: string): Promise<void> {
  const claim = { slug, orgId, claimedAt: ctx.now() };
  if (await ctx.stores.names.claim(claim)) return;
  const holder = await ctx.stores.names.find(slug);
  if (holder?.orgId === orgId) return; // ours from an earlier run of the same operation
  if (holder && (await freeUnusedClaim(ctx, holder.slug, holder.orgId, holder.claimedAt))) {
    if (await ctx.stores.names.claim(claim)) return;
  }
  throw nameTaken();
}

/**
 * Frees `orgId`'s claim of `slug` if its holder no longer uses it: the holder's abandoned operation is
 * recovered first (which frees or keeps the claim); a claim of a missing organization, or one its
 * organization neither carries nor is renaming to, is released once it is a lease old.
 *
 * @returns true when the claim was freed (or is no longer `orgId`'s).
 * @throws a store failure (a live run's 409 during recovery is answered false).
 */
export async function freeUnusedClaim(ctx: OrgContext, slug: string, orgId: string, claimedAt: Date): Promise<boolean> {
  const org = await ctx.stores.orgs.findById(orgId);
  if (org && isAbandoned(ctx, org)) {
    if (!(await tryRecover(ctx, org))) return false; // its run is alive after all
    const after = await ctx.stores.names.find(slug);
    return after === null || after.orgId !== orgId;
  }
  const inUse = org && (org.slug === slug || (org.operation?.kind === 'rename' && org.operation.toSlug === slug));
  if (inUse || !lapsed(ctx, claimedAt)) return false;
  await ctx.stores.names.release(slug, orgId);
  return true;
}
