import type { CustomRole, Membership } from './model.ts';

/**
 * The ports of the members use cases; `#core/mongo/membership-store.ts` and its neighbours implement
 * them on MongoDB. Every method is one round trip on one collection.
 */

export interface MembershipPage {
  readonly items: readonly Membership[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface MembershipStore {
  /** Inserts a membership; `exists` when the user is already a member (the key is unique). */
  insert(membership: Membership): Promise<'ok' | 'exists'>;
  find(orgId: string, userId: string): Promise<Membership | null>;
  /** The organization's members in a stable order, `limit` at a time, after the cursor `after`. */
  page(orgId: string, limit: number, after?: string): Promise<MembershipPage>;
  /** Every organization `userId` belongs to (at most `limit`), oldest membership first. */
  listByUser(userId: string, limit: number): Promise<Membership[]>;
  /** Sets the role; false when there is no such membership. */
  setRole(orgId: string, userId: string, role: string, at: Date): Promise<boolean>;
  /** Removes the membership; false when there was none. */
  remove(orgId: string, userId: string): Promise<boolean>;
  /** How many members of `orgId` hold `role`, counting at most `cap`. */
  countWithRole(orgId: string, role: string, cap: number): Promise<number>;
  /** How many members `orgId` has, counting at most `cap`. */
  count(orgId: string, cap: number): Promise<number>;
  /** The user ids among `userIds` with a membership in an organization other than `orgId`. */
  usersElsewhere(userIds: readonly string[], orgId: string): Promise<Set<string>>;
  removeByOrg(orgId: string): Promise<void>;
}

export interface RoleStore {
  /** Inserts a custom role; `exists` when the organization has a role of that name. */
  insert(role: CustomRole): Promise<'ok' | 'exists'>;
  find(orgId: string, name: string): Promise<CustomRole | null>;
  list(orgId: string): Promise<CustomRole[]>;
  /** Replaces permissions and description; null when the role does not exist. */
  update(
    orgId: string,
    name: string,
    changes: Pick<CustomRole, 'permissions' | 'description'>,
    at: Date,
  ): Promise<CustomRole | null>;
  remove(orgId: string, name: string): Promise<boolean>;
  removeByOrg(orgId: string): Promise<void>;
}

/**
 * One lock per organization's member list, held while a role changes or a member goes, so that the
 * owner count read under it stays true until the change is written (updates need not be atomic on
 * every server). A lock not released within its lease is free for the next taker.
 */
export interface MemberLockStore {
  /** Takes the lock for `leaseMs`; false while someone else holds an unexpired lease. */
  acquire(orgId: string, lockId: string, now: Date, leaseMs: number): Promise<boolean>;
  /** True while `lockId` holds the organization's lock and its lease has not passed at `now`. */
  holds(orgId: string, lockId: string, now: Date): Promise<boolean>;
  release(orgId: string, lockId: string): Promise<void>;
}

export interface MemberStores {
  readonly memberships: MembershipStore;
  readonly roles: RoleStore;
  readonly memberLocks: MemberLockStore;
}
