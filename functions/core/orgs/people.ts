import { OWNER } from '../members/permissions.ts';
import type { OrgContext } from './context.ts';
import type { Organization } from './model.ts';

/**
 * An organization's people, as its create and purge see them: the creator becomes its first owner,
 * and a purged (or undone) organization takes with it its memberships, its custom roles and the
 * users who belonged to no other organization. An archived organization keeps them all, so its
 * owner can still log in to restore it.
 */

/** How many users one cleanup step reads and removes at a time. */
const BATCH = 500;

/**
 * Makes the organization's creator (`org.adminId`) its owner; a repeat does nothing.
 *
 * @throws a store failure.
 */
export async function addFounder(ctx: OrgContext, org: Organization): Promise<void> {
  await ctx.stores.memberships.insert({
    orgId: org.id,
    userId: org.adminId,
    role: OWNER,
    createdAt: org.createdAt,
    updatedAt: org.createdAt,
  });
}

/**
 * Removes the organization's people: first the users who belong to no other organization, then the
 * memberships and custom roles. Idempotent, and safe to stop anywhere: memberships go last, so a
 * retry finds the same users. `withCreator` also looks up the users whose `orgId` names the
 * organization (one more round trip): a create undone before its owner membership existed.
 *
 * @throws a store failure; a retry finishes it.
 */
export async function removePeopleOf(ctx: OrgContext, orgId: string, options: { withCreator?: boolean } = {}): Promise<void> {
  const s = ctx.stores;
  let after: string | undefined;
  let first = true;
  do {
    const page = await s.memberships.page(orgId, BATCH, after);
    const ids = new Set(page.items.map((m) => m.userId));
    if (first && options.withCreator) for (const id of await s.admins.listIdsByOrg(orgId)) ids.add(id);
    first = false;
    await removeUnlessElsewhere(ctx, orgId, [...ids]);
    after = page.next;
  } while (after);
  await s.memberships.removeByOrg(orgId);
  await s.roles.removeByOrg(orgId);
}

/**
 * How many users {@link removePeopleOf} would remove now: the organization's members (and, with
 * `withCreator`, its creator) who belong to no other organization. Reads only.
 *
 * @throws a store failure.
 */
export async function countPeopleOf(ctx: OrgContext, orgId: string, options: { withCreator?: boolean } = {}): Promise<number> {
  const s = ctx.stores;
  let count = 0;
  let after: string | undefined;
  let first = true;
  // One user has one membership here, so pages never share a member; the creator, added to the first
  // page, may also be a member on a later one: counted once.
  const creators = new Set<string>();
  do {
    const page = await s.memberships.page(orgId, BATCH, after);
    const ids = new Set(page.items.map((m) => m.userId).filter((id) => !creators.has(id)));
    if (first && options.withCreator) {
      for (const id of await s.admins.listIdsByOrg(orgId)) {
        creators.add(id);
        ids.add(id);
      }
    }
    first = false;
    if (ids.size > 0) {
      const elsewhere = await s.memberships.usersElsewhere([...ids], orgId);
      const alone = [...ids].filter((id) => !elsewhere.has(id));
      if (alone.length > 0) count += (await s.admins.findMany(alone)).length;
    }
    after = page.next;
  } while (after);
  return count;
}

async function removeUnlessElsewhere(ctx: OrgContext, orgId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const elsewhere = await ctx.stores.memberships.usersElsewhere(userIds, orgId);
  const alone = userIds.filter((id) => !elsewhere.has(id));
  if (alone.length > 0) await ctx.stores.admins.removeMany(alone);
}
