import { randomUUID } from 'node:crypto';
import type { CallerIdentity } from '../auth/tokens.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.ts';
import type { EventLog } from '../events/log.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { CustomRole, Membership, MemberView } from './model.ts';
import { BUILT_IN_ROLES, type BuiltInRole, covers, isBuiltInRole, OWNER, type Permission, permissionsOf } from './permissions.ts';
import type { MemberLockStore, MembershipStore, RoleStore } from './stores.ts';

/**
 * The members use cases: list members, change a role, remove a member, leave, transfer ownership,
 * and the organization's custom roles. The route table has checked the caller's permission before
 * any of these runs; what is checked here are the role rules no permission expresses:
 *
 * - only an owner grants, changes or removes `owner`, and only an owner transfers ownership;
 * - nobody grants (or edits into a role) a permission they do not hold themselves;
 * - an organization always keeps at least one owner. Every change that could take the last owner
 *   away runs under the organization's member lock (an insert only one caller wins, so it holds on
 *   servers whose updates are not atomic) and counts owners under it.
 */

/** Who is acting: the caller's identity, role and permissions in the active organization. */
export interface Actor extends CallerIdentity {
  readonly role: string;
  readonly permissions: readonly string[];
}

export interface MembersDeps {
  readonly memberships: MembershipStore;
  readonly roles: RoleStore;
  readonly memberLocks: MemberLockStore;
  /** The users (see `Admin`): emails, and removal of a user who belongs nowhere any more. */
  readonly users: Pick<AdminStore, 'findMany' | 'removeMany'>;
  /** Every change records its event here (`member.role_changed`, `member.removed`, `ownership.transferred`). */
  readonly events: EventLog;
  readonly now?: () => Date;
  /**
   * How long a member lock is held at most if its holder dies (ms); default 30 s, twice a route's
   * 15 s Lambda timeout, so a live holder never outlasts its lease.
   */
  readonly lockLeaseMs?: number;
  /** How long a change waits for the member lock before answering 409 (ms); default 3 s. */
  readonly lockWaitMs?: number;
  /** Custom roles an organization may have; default 50. */
  readonly maxCustomRoles?: number;
}

/** A role as the roles list shows it. */
export interface RoleView {
  readonly name: string;
  readonly description?: string;
  readonly permissions: readonly Permission[];
  readonly builtIn: boolean;
}

export interface MemberPage {
  readonly members: readonly MemberView[];
  readonly next?: string;
}

const memberNotFound = () => new NotFoundError('member_not_found', 'No member of this organization has this user id.');
const roleNotFound = () => new NotFoundError('role_not_found', 'This organization has no role of this name.');
const ownerOnly = () => new ForbiddenError('owner_only', 'Only an owner may grant, change or remove the owner role.');
const lastOwner = () =>
  new ConflictError('last_owner', 'An organization must keep at least one owner: make another member owner first.');
const exceedsYours = () => new ForbiddenError('role_exceeds_yours', 'You cannot grant a permission your own role does not have.');
const builtInRole = () => new ConflictError('built_in_role', 'Built-in roles cannot be changed or deleted.');

const BUILT_IN_VIEWS: readonly RoleView[] = (Object.keys(BUILT_IN_ROLES) as BuiltInRole[]).map((name) => ({
  name,
  permissions: permissionsOf(name),
  builtIn: true,
}));

export class MembersService {
  readonly #deps: MembersDeps;
  readonly #now: () => Date;

  constructor(deps: MembersDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * One page of the caller's organization's members, in a stable order; `after` is the previous
   * page's `next`. Two round trips a page (memberships, then their users' emails).
   */
  async list(caller: CallerIdentity, limit: number, after?: string): Promise<MemberPage> {
    const page = await this.#deps.memberships.page(caller.orgId, limit, after);
    return { members: await this.#views(page.items), ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * Gives `userId` the role `role` (built-in or custom) in the caller's organization.
   *
   * @throws NotFoundError `unknown_role` (404) when the organization has no such role.
   * @throws NotFoundError `member_not_found` (404).
   * @throws ForbiddenError `owner_only` or `role_exceeds_yours` (403).
   * @throws ConflictError `last_owner` (409) when it would leave no owner; `members_busy` (409) when the lock stays taken.
   */
  async changeRole(caller: Actor, userId: string, role: string): Promise<MemberView> {
    return this.#underLock(caller.orgId, async (confirm) => {
      // Everything as it is now that no other member change can run: the caller's own role (the
      // authorizer's may be a revocation bound old), the role granted, the member changed.
      const actor = await this.#actorNow(caller);
      const permissions = await this.#permissionsOfRole(caller.orgId, role);
      if (permissions === null) {
        throw new NotFoundError('unknown_role', 'This organization has no role of this name.');
      }
      const target = await this.#member(caller.orgId, userId);
      await this.#mayActOn(actor, target, role);
      if (!covers(actor.permissions, permissions)) throw exceedsYours();
      if (target.role === OWNER && role !== OWNER) await this.#keepAnOwner(caller.orgId);
      await confirm();
      await this.#deps.events.around(
        {
          orgId: caller.orgId,
          type: 'member.role_changed',
          target: { type: 'user', id: userId },
          data: { role, previous_role: target.role },
        },
        async () => {
          if (!(await this.#deps.memberships.setRole(caller.orgId, userId, role, this.#now()))) throw memberNotFound();
        },
        { settleFirst: true },
      );
      return this.#view({ ...target, role });
    });
  }

  /**
   * Removes `userId` from the caller's organization; their tokens for it stop working within the
   * revocation bound. The user keeps their other organizations; a user left in none is removed.
   *
   * @throws NotFoundError `member_not_found` (404); ForbiddenError `owner_only` or
   *   `role_exceeds_yours` (403) for a member the caller may not act on; ConflictError `last_owner`
   *   or `members_busy` (409).
   */
  async remove(caller: Actor, userId: string): Promise<void> {
    await this.#underLock(caller.orgId, async (confirm) => {
      const actor = await this.#actorNow(caller);
      const target = await this.#member(caller.orgId, userId);
      if (userId !== caller.userId) await this.#mayActOn(actor, target);
      await this.#removeMember(target, confirm, userId === caller.userId ? 'left' : 'removed');
    });
  }

  /**
   * The caller leaves the active organization (a user left in no organization is removed).
   *
   * @throws ConflictError `last_owner` (409) for the last owner (transfer ownership or delete the
   *   organization instead); `members_busy` (409).
   */
  async leave(caller: CallerIdentity): Promise<void> {
    await this.#underLock(caller.orgId, async (confirm) =>
      this.#removeMember(await this.#member(caller.orgId, caller.userId), confirm, 'left'),
    );
  }

  /**
   * Makes `userId` an owner and the caller (an owner) an `admin`, in that order, so that the
   * organization has an owner at every moment.
   *
   * @throws ForbiddenError `owner_only` (403) when the caller is not an owner (now, not as the token was issued).
   * @throws NotFoundError `member_not_found` (404); ConflictError `members_busy` (409).
   * @throws ConflictError `cannot_transfer_to_self` (409).
   */
  async transferOwnership(caller: Actor, userId: string): Promise<MemberView> {
    if (userId === caller.userId) {
      throw new ConflictError('cannot_transfer_to_self', 'You are already an owner: name another member.');
    }
    return this.#underLock(caller.orgId, async (confirm) => {
      if ((await this.#actorNow(caller)).role !== OWNER) throw ownerOnly();
      const target = await this.#member(caller.orgId, userId);
      const now = this.#now();
      await confirm();
      // The event's rule looks at the new owner: once they are owner, ownership has passed to them.
      await this.#deps.events.around(
        {
          orgId: caller.orgId,
          type: 'ownership.transferred',
          target: { type: 'user', id: userId },
          data: { previous_owner_id: caller.userId, previous_role: target.role },
        },
        async () => {
          if (!(await this.#deps.memberships.setRole(caller.orgId, userId, OWNER, now))) throw memberNotFound();
          await this.#deps.memberships.setRole(caller.orgId, caller.userId, 'admin', now);
        },
        { settleFirst: true },
      );
      return this.#view({ ...target, role: OWNER });
    });
  }

  /** The built-in roles, then the organization's custom roles by name. */
  async listRoles(caller: CallerIdentity): Promise<RoleView[]> {
    const custom = await this.#deps.roles.list(caller.orgId);
    return [...BUILT_IN_VIEWS, ...custom.map(customView)];
  }

  /**
   * Creates a custom role.
   *
   * @throws ConflictError `role_exists` (409) for a built-in name or a name the organization has;
   *   `role_limit` (409) past the organization's custom role limit.
   * @throws ForbiddenError `role_exceeds_yours` (403).
   */
  async createRole(
    caller: Actor,
    input: { name: string; permissions: readonly Permission[]; description?: string },
  ): Promise<RoleView> {
    if (isBuiltInRole(input.name)) throw roleExists();
    if (!covers((await this.#actorNow(caller)).permissions, input.permissions)) throw exceedsYours();
    const existing = await this.#deps.roles.list(caller.orgId);
    const max = this.#deps.maxCustomRoles ?? 50;
    if (existing.length >= max) throw new ConflictError('role_limit', `An organization may have at most ${max} custom roles.`);
    const now = this.#now();
    const role: CustomRole = {
      orgId: caller.orgId,
      name: input.name,
      permissions: [...new Set(input.permissions)],
      createdAt: now,
      updatedAt: now,
      ...(input.description !== undefined ? { description: input.description } : {}),
    };
    if ((await this.#deps.roles.insert(role)) === 'exists') throw roleExists();
    return customView(role);
  }

  /**
   * Replaces a custom role's permissions (and description); members holding it get the new set
   * within the revocation bound.
   *
   * @throws ConflictError `built_in_role` (409); NotFoundError `role_not_found` (404).
   * @throws ForbiddenError `role_exceeds_yours` (403) when either the old or the new set holds a
   *   permission the caller lacks.
   */
  async updateRole(
    caller: Actor,
    name: string,
    input: { permissions: readonly Permission[]; description?: string },
  ): Promise<RoleView> {
    if (isBuiltInRole(name)) throw builtInRole();
    const [current, actor] = await Promise.all([this.#deps.roles.find(caller.orgId, name), this.#actorNow(caller)]);
    if (!current) throw roleNotFound();
    if (!covers(actor.permissions, current.permissions) || !covers(actor.permissions, input.permissions)) throw exceedsYours();
    const updated = await this.#deps.roles.update(
      caller.orgId,
      name,
      {
        permissions: [...new Set(input.permissions)],
        ...(input.description !== undefined ? { description: input.description } : {}),
      },
      this.#now(),
    );
    if (!updated) throw roleNotFound();
    return customView(updated);
  }

  /**
   * Deletes a custom role no member holds (under the member lock, so no one is given it meanwhile).
   *
   * @throws ConflictError `built_in_role`, `role_in_use` or `members_busy` (409); NotFoundError `role_not_found` (404).
   */
  async deleteRole(caller: Actor, name: string): Promise<void> {
    if (isBuiltInRole(name)) throw builtInRole();
    const [current, actor] = await Promise.all([this.#deps.roles.find(caller.orgId, name), this.#actorNow(caller)]);
    if (!current) throw roleNotFound();
    if (!covers(actor.permissions, current.permissions)) throw exceedsYours();
    await this.#underLock(caller.orgId, async () => {
      if ((await this.#deps.memberships.countWithRole(caller.orgId, name, 1)) > 0) {
        throw new ConflictError('role_in_use', 'Members still hold this role: give them another role first.');
      }
      if (!(await this.#deps.roles.remove(caller.orgId, name))) throw roleNotFound();
    });
  }

  /**
   * Removes `target` (under the lock), keeping an owner; a user left in no organization is removed
   * too, so that their email is free again (the same rule as an organization's deletion).
   */
  async #removeMember(target: Membership, confirm: () => Promise<void>, reason: 'removed' | 'left'): Promise<void> {
    if (target.role === OWNER) await this.#keepAnOwner(target.orgId);
    await confirm();
    await this.#deps.events.around(
      {
        orgId: target.orgId,
        type: 'member.removed',
        target: { type: 'user', id: target.userId },
        data: { role: target.role, reason },
      },
      async () => {
        if (!(await this.#deps.memberships.remove(target.orgId, target.userId))) throw memberNotFound();
      },
      { settleFirst: true, proof: { joinedAt: target.createdAt.getTime() } },
    );
    if ((await this.#deps.memberships.listByUser(target.userId, 1)).length === 0) {
      await this.#deps.users.removeMany([target.userId]);
    }
  }

  /**
   * The caller's role and permissions as the database has them now (the authorizer's answer may be
   * a revocation bound old).
   *
   * @throws ForbiddenError `permission_denied` (403) when the caller no longer holds a role here.
   */
  async #actorNow(caller: CallerIdentity): Promise<Actor> {
    const membership = await this.#deps.memberships.find(caller.orgId, caller.userId);
    const permissions = membership && (await this.#permissionsOfRole(caller.orgId, membership.role));
    if (!membership || !permissions) {
      throw new ForbiddenError('permission_denied', 'You no longer hold a role in this organization.');
    }
    return { userId: caller.userId, orgId: caller.orgId, role: membership.role, permissions };
  }

  /**
   * The rules for acting on another member: only an owner touches an owner or grants `owner`, and
   * nobody acts on a member whose role holds a permission the actor lacks.
   */
  async #mayActOn(actor: Actor, target: Membership, newRole?: string): Promise<void> {
    if ((target.role === OWNER || newRole === OWNER) && actor.role !== OWNER) throw ownerOnly();
    const held = await this.#permissionsOfRole(target.orgId, target.role);
    if (held && !covers(actor.permissions, held)) throw exceedsYours();
  }

  /** The member as shown after a write (an email of '' if the user went meanwhile). */
  async #view(m: Membership): Promise<MemberView> {
    const [view] = await this.#views([m]);
    return view ?? { userId: m.userId, email: '', role: m.role, joinedAt: m.createdAt };
  }

  /** Throws `last_owner` unless the organization has another owner besides the one about to go. */
  async #keepAnOwner(orgId: string): Promise<void> {
    if ((await this.#deps.memberships.countWithRole(orgId, OWNER, 2)) < 2) throw lastOwner();
  }

  async #member(orgId: string, userId: string): Promise<Membership> {
    const found = await this.#deps.memberships.find(orgId, userId);
    if (!found) throw memberNotFound();
    return found;
  }

  /** The permissions of `role` in `orgId`, or null when the organization has no such role. */
  async #permissionsOfRole(orgId: string, role: string): Promise<Permission[] | null> {
    if (isBuiltInRole(role)) return permissionsOf(role);
    const custom = await this.#deps.roles.find(orgId, role);
    return custom ? permissionsOf(role, custom.permissions) : null;
  }

  async #views(items: readonly Membership[]): Promise<MemberView[]> {
    if (items.length === 0) return [];
    const users = new Map((await this.#deps.users.findMany(items.map((m) => m.userId))).map((u) => [u.id, u]));
    return items.flatMap((m) => {
      const user = users.get(m.userId);
      return user ? [{ userId: m.userId, email: user.email, role: m.role, joinedAt: m.createdAt }] : [];
    });
  }

  /**
   * Runs `work` holding the organization's member lock, waiting for it a bounded time. `work` calls
   * `confirm` right before it writes: it throws `members_busy` if the lease has passed meanwhile and
   * another change may have taken the lock.
   */
  async #underLock<T>(orgId: string, work: (confirm: () => Promise<void>) => Promise<T>): Promise<T> {
    const lockId = randomUUID();
    const lease = this.#deps.lockLeaseMs ?? 30_000;
    const deadline = Date.now() + (this.#deps.lockWaitMs ?? 3_000);
    while (!(await this.#deps.memberLocks.acquire(orgId, lockId, this.#now(), lease))) {
      if (Date.now() >= deadline) {
        throw busy();
      }
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
    const confirm = async () => {
      if (!(await this.#deps.memberLocks.holds(orgId, lockId, this.#now()))) throw busy();
    };
    try {
      return await work(confirm);
    } finally {
      await this.#deps.memberLocks.release(orgId, lockId).catch(() => undefined); // the lease frees it anyway
    }
  }
}

const busy = () =>
  new ConflictError('members_busy', 'Another change to the members is in progress; try again.', { retryAfterSeconds: 1 });

const roleExists = () => new ConflictError('role_exists', 'A role of this name exists already.');

function customView(role: CustomRole): RoleView {
  return {
    name: role.name,
    permissions: permissionsOf(role.name, role.permissions),
    builtIn: false,
    ...(role.description !== undefined ? { description: role.description } : {}),
  };
}
