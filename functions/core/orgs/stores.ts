import type { EventStore } from '../events/stores.ts';
import type { JobStore } from '../jobs/stores.ts';
import type { MembershipStore, RoleStore } from '../members/stores.ts';
import type {
  Admin,
  ArchiveState,
  NameClaim,
  Operation,
  OperationLock,
  Organization,
  OrgStatus,
  Owed,
  Placement,
  PurgeProgress,
  TwoFactorState,
} from './model.ts';

/**
 * The ports the organization use cases depend on. `#core/mongo/stores.ts` implements them on
 * MongoDB; every method is a single-document (or single-collection) operation, so each step of a
 * use case is atomic on its own and safe to repeat.
 */

export type OrgChanges = Partial<{
  name: string;
  slug: string;
  status: OrgStatus;
  placement: Placement;
  updatedAt: Date;
  requireTwoFactor: boolean;
  /** `null` removes the operation. */
  operation: Operation | null;
  /** The cleanup the commit leaves owed; `null` removes it. */
  owed: Owed | null;
  placementVersion: number;
  /** `null` removes it (a restore). */
  archive: ArchiveState | null;
  /** `null` releases it. */
  legalHold: boolean | null;
  purge: PurgeProgress | null;
}>;

/** The part of a placement that names a place. */
export type PlaceName = Pick<Placement, 'database' | 'collection'>;

export interface OrganizationStore {
  /** Inserts a new organization; `slug_taken` while another document still has its slug. */
  insert(org: Organization): Promise<'ok' | 'slug_taken'>;
  findById(id: string): Promise<Organization | null>;
  findBySlug(slug: string): Promise<Organization | null>;
  /** The organizations among `ids` that exist, in no particular order. */
  findMany(ids: readonly string[]): Promise<Organization[]>;
  /**
   * Applies `changes` only while the organization is in one of `from` and, when `owner` is given, while
   * its operation's owner is `owner` (the fencing token; `null` matches an operation without one).
   * One conditional update: atomic on MongoDB. Null when the conditions did not hold.
   */
  transition(id: string, from: readonly OrgStatus[], changes: OrgChanges, owner?: string | null): Promise<Organization | null>;
  remove(id: string): Promise<void>;
  /** Removes the organization's owed cleanup if the run `owner` recorded it (see `Owed`). */
  clearOwed(id: string, owner: string): Promise<void>;
  /**
   * Organizations whose operation started before `before`, or whose owed cleanup was recorded
   * before it (candidates for reconciliation).
   */
  listUnsettled(before: Date): Promise<Organization[]>;
  /**
   * The reconciler's purge candidates: up to `limit` organizations `purging` (a begun purge to carry
   * on), then up to `limit` `archived` ones whose window ended at or before `now` and that are not on
   * legal hold, the longest due first. Archived organizations still in their window, or held, are not
   * listed, so however many there are they never crowd out a due one.
   */
  listPurgeDue(now: Date, limit: number): Promise<Organization[]>;
  /** Every place an organization uses or is moving data between. */
  placesInUse(): Promise<PlaceName[]>;
  /** True when some organization uses `place` or is moving data to or from it. */
  isPlaceInUse(place: PlaceName): Promise<boolean>;
}

/** Per-organization operation locks; see {@link OperationLock}. */
export interface OperationLockStore {
  /** Takes the lock; false when the organization's lock is held (by anyone). */
  acquire(lock: OperationLock): Promise<boolean>;
  find(orgId: string): Promise<OperationLock | null>;
  /** Releases the lock if `lockId` still holds it; with no `lockId`, whoever holds it. */
  release(orgId: string, lockId?: string): Promise<void>;
  /**
   * Releases the lock if `lockId` still holds it and it was last alive (renewed, or started if never
   * renewed) before `before`, in one conditional delete: a renewal that lands after the holder was
   * judged lapsed keeps the lock. False when nothing was released.
   */
  releaseLapsed(orgId: string, lockId: string, before: Date): Promise<boolean>;
  /** Moves the lock's `renewedAt` to `at` if `lockId` still holds it; false when it does not. */
  renew(orgId: string, lockId: string, at: Date): Promise<boolean>;
  /** Locks last alive before `before`. */
  listStartedBefore(before: Date): Promise<OperationLock[]>;
}

export interface NameClaimStore {
  /** Reserves `slug` for `orgId`; false when it is already reserved (by anyone). */
  claim(claim: NameClaim): Promise<boolean>;
  find(slug: string): Promise<NameClaim | null>;
  release(slug: string, orgId: string): Promise<void>;
  releaseAllOf(orgId: string): Promise<void>;
  listClaimedBefore(before: Date): Promise<NameClaim[]>;
}

export interface AdminStore {
  /** Inserts an admin; `email_taken` when another admin has the email. */
  insert(admin: Admin): Promise<'ok' | 'email_taken'>;
  findById(id: string): Promise<Admin | null>;
  findByEmail(email: string): Promise<Admin | null>;
  /** Replaces the hash only if it is still `previous` (a rehash at a higher cost; tokens stay valid). */
  replaceHash(id: string, previous: string, next: string): Promise<void>;
  /** Revokes every token the admin holds. */
  bumpTokenVersion(id: string, at: Date): Promise<void>;
  /**
   * Sets a new password hash if the hash is still `previousHash` (no change raced it), revokes
   * every token the user holds and drops a pending change of address (whoever asked for it may have
   * been the one the new password locks out); `stale` when the hash had changed (or the user is gone).
   */
  resetPassword(id: string, previousHash: string, nextHash: string, at: Date): Promise<'ok' | 'stale'>;
  /** Records that `email` reaches the user, if it is still their email. */
  markEmailVerified(id: string, email: string, at: Date): Promise<void>;
  /** Records (or, with `undefined`, clears) the address the user asked to change to. */
  setPendingEmail(id: string, email: string | undefined, at: Date): Promise<void>;
  /**
   * Replaces `from` with the verified address `to` if the user's email is still `from` and `to` is
   * still the pending one; `email_taken` when another user has `to`, `stale` when either changed.
   */
  changeEmail(id: string, from: string, to: string, at: Date): Promise<'ok' | 'email_taken' | 'stale'>;
  /**
   * Writes the user's two-factor state (`undefined` removes it) if it is still `expected` (compared
   * by secret and enabled time), so concurrent enrolments or a disable racing a confirm cannot both
   * win; false when it had changed.
   */
  setTwoFactor(id: string, expected: TwoFactorState | undefined, next: TwoFactorState | undefined, at: Date): Promise<boolean>;
  /** Spends one recovery code (its SHA-256 hex digest): true for the one caller that removed it. */
  spendRecoveryCode(id: string, codeHash: string, at: Date): Promise<boolean>;
  /** The ids of the users who created `orgId` (one, or none once migrated away). */
  listIdsByOrg(orgId: string): Promise<string[]>;
  /** The users among `ids`, by id. */
  findMany(ids: readonly string[]): Promise<Admin[]>;
  /** Removes these users. */
  removeMany(ids: readonly string[]): Promise<void>;
}

/** The places that hold organizations' data. Every method is idempotent. */
export interface TenantSpaces {
  create(placement: Placement): Promise<void>;
  /** Removes the place (in database mode, the whole database); gone already is fine. */
  drop(placement: Placement): Promise<void>;
  /**
   * The identity of the place's collection (its UUID, where the server reports one), creating it if
   * it is missing; recorded before a rename so that a retry can tell the data from a stray collection
   * a late write created under either name.
   */
  identify(placement: Placement): Promise<string | undefined>;
  /** Renames the collection `sourceId` identifies from one name to another in one database; done already is fine. */
  renameCollection(from: Placement, to: Placement, sourceId?: string): Promise<void>;
  /**
   * Copies the next batch of `from`'s records with ObjectId `_id`s (at most `limit`, in `_id` order,
   * after `after`; from the first when undefined) into `to`, re-tagged with the generation of `to`;
   * a document there already (an earlier, interrupted run copied it) is left for {@link verifyBatch}.
   * `last` is the checkpoint to resume after; `done` when no batch follows. `beforeWrite` runs after
   * the reads and before any write (a job's lease check), and a throw there writes nothing.
   */
  copyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<CopyBatch>;
  /**
   * Verifies the next batch the same way: the target's ObjectId documents from `after` through the
   * batch's last `_id` (all that are left, with the last batch) are made exactly the source's, re-tagged
   * (missing or different ones written, extra ones removed). `repaired` counts what it changed.
   */
  verifyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<VerifiedBatch>;
  /** Copies and verifies, the same way, the documents whose `_id` is not an ObjectId (put there by other means). */
  copyRest(from: Placement, to: Placement): Promise<{ documents: number }>;
  /** Every place of this deployment that exists on the server (without generations). */
  list(): Promise<Placement[]>;
}

/** One batch of a copy (see `TenantSpaces.copyBatch`). */
export interface CopyBatch {
  /** The batch's last `_id` (24 hex digits); absent when the batch was empty. */
  readonly last?: string;
  readonly documents: number;
  readonly done: boolean;
}

/** One batch of a copy's verification (see `TenantSpaces.verifyBatch`). */
export interface VerifiedBatch extends CopyBatch {
  readonly repaired: number;
}

/** The sessions an organization's admins hold, removed with the organization. */
export interface SessionCleanup {
  removeByOrg(orgId: string): Promise<void>;
}

/**
 * An organization's data in the master database beyond what the other ports hold (invitations,
 * webhooks, usage and meters, plan changes, login challenges...), as a purge counts and removes it.
 * Every method is one command on one collection, and idempotent.
 */
export interface OrgDataStore {
  /** The master collections this port removes the organization's documents from, in removal order. */
  readonly collections: readonly string[];
  /** Every master collection a purge counts (those above, and those the other ports empty). */
  readonly counted: readonly string[];
  /** How many documents of `orgId` `collection` holds. */
  count(collection: string, orgId: string): Promise<number>;
  /** Removes `orgId`'s documents from `collection`; none left is fine. */
  remove(collection: string, orgId: string): Promise<void>;
  /** How many documents the organization's place holds (0 when it does not exist). */
  countPlace(placement: Placement): Promise<number>;
}

export interface OrgStores {
  readonly orgs: OrganizationStore;
  readonly memberships: MembershipStore;
  readonly roles: RoleStore;
  readonly locks: OperationLockStore;
  readonly names: NameClaimStore;
  readonly admins: AdminStore;
  readonly tenants: TenantSpaces;
  readonly sessions: SessionCleanup;
  /** The event log (`#core/events/`). */
  readonly events: EventStore;
  /** The rest of an organization's master data, for a purge. */
  readonly orgData: OrgDataStore;
  /** Long operations run as jobs (`#core/jobs/`): moves, purges. */
  readonly jobs: JobStore;
}
