import type { CallerIdentity } from '../auth/tokens.ts';
import { isAbandoned, tryRecover } from './abandoned.ts';
import { notFound, notYours, type OrgContext } from './context.ts';
import { legacySlug, type Organization, toSlug } from './model.ts';
import { owesLapsed } from './owed.ts';

/** Finding an organization by its name, and the caller's own organization for a change. */

/**
 * The organization whose name has the key `name` has (see `toSlug`), or null. It is the answer only
 * if its own name has that key, so a lookup never answers with another name's organization.
 */
export async function findByName(ctx: OrgContext, name: string): Promise<Organization | null> {
  const slug = toSlug(name);
  const org = await ctx.stores.orgs.findBySlug(slug);
  if (org && toSlug(org.name) === slug) return org;
  return underLegacyKey(ctx, name, slug);
}

/**
 * An organization made under the earlier ASCII-only key that still carries it (`legacySlug`), and
 * whose name has today's key `slug`: "Иван 1" kept `1`, so "Ольга 1" (`1` too) never finds it. Null
 * when there is none.
 */
export async function underLegacyKey(ctx: OrgContext, name: string, slug: string): Promise<Organization | null> {
  const legacy = legacySlug(name);
  if (!legacy || legacy === slug) return null;
  const org = await ctx.stores.orgs.findBySlug(legacy);
  return org && toSlug(org.name) === slug ? org : null;
}

/**
 * The organization a name refers to, if it is live (not being created or deleted). A cleanup a dead
 * run owes it (see `./owed.ts`) is paid on the way; nothing more is read when it owes nothing.
 *
 * @throws NotFoundError `organization_not_found` (404) otherwise.
 * @throws a store failure of the cleanup.
 */
export async function getLive(ctx: OrgContext, name: string): Promise<Organization> {
  let org = await findByName(ctx, name);
  if (org && owesLapsed(ctx, org) && (await tryRecover(ctx, org))) org = await ctx.stores.orgs.findById(org.id);
  if (!org || org.status === 'creating' || org.status === 'deleting') throw notFound();
  return org;
}

/**
 * The organization `name` refers to, owned by the caller, as it is after recovering an abandoned
 * operation, or paying the cleanup a dead run owes, met on the way (an organization being deleted is
 * returned as it is: a delete may be retried).
 *
 * @throws NotFoundError `organization_not_found` (404) when no organization (or one being created) has the name.
 * @throws ForbiddenError `not_your_organization` (403) when it is another organization.
 * @throws ConflictError `operation_in_progress` (409) when the operation's run is alive after all.
 */
export async function ownedBy(ctx: OrgContext, caller: CallerIdentity, name: string): Promise<Organization> {
  let org = await findByName(ctx, name);
  if (!org || org.status === 'creating') throw notFound();
  if (org.id !== caller.orgId) throw notYours();
  if (org.status !== 'deleting' && isAbandoned(ctx, org)) {
    await ctx.recover(org, 'request');
    org = await ctx.stores.orgs.findById(org.id);
    if (!org) throw notFound();
  }
  return org;
}
