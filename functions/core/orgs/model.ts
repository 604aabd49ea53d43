/**
 * The organization domain: names, slugs, placements and the records the stores keep.
 */

export { legacySlug, NAME_MAX, NAME_MIN, nameProblem, SLUG_MAX, toSlug } from './names.ts';

/**
 * How an organization's data is laid out: `collection`, one collection `org_<slug>` in the shared
 * tenant database; `database`, a database of its own with one fixed collection inside.
 */
export type PlacementMode = 'collection' | 'database';

export const PLACEMENT_MODES: readonly PlacementMode[] = ['collection', 'database'];

/** Where an organization's data lives. Recorded on the organization; never taken from a request. */
export interface Placement {
  readonly mode: PlacementMode;
  readonly database: string;
  readonly collection: string;
  /**
   * The generation of the data in this place: every record written here carries it, and only records
   * carrying it count. A copy to a new place gets a new generation, so a write that lands in a place
   * after the organization has left it is never read, listed or copied, whoever uses the name next.
   * Absent on placements made before generations existed (their records carry none). It is a fence
   * on the data rather than on writers: it says which records in a place count, where
   * `placementVersion` says whether a writer's view of the placement is still current.
   */
  readonly gen?: string;
}

/** True when two placements name the same collection. */
export function samePlace(a: Pick<Placement, 'database' | 'collection'>, b: Pick<Placement, 'database' | 'collection'>): boolean {
  return a.database === b.database && a.collection === b.collection;
}

/**
 * Where an organization is in its lifecycle: `creating`, then `active` (and `renaming` or `moving`
 * while such a change runs, back to `active` after); a delete makes it `archived` (its data kept, its
 * members without access, its name reserved) until it is restored (`active` again) or its retention
 * window has passed and it is `purging` (then gone). `deleting` is the one-step delete of the time
 * before archiving: an organization found in it is finished as it was begun.
 */
export type OrgStatus = 'creating' | 'active' | 'renaming' | 'moving' | 'deleting' | 'archived' | 'purging';

/** Who archived an organization (deleted it), when, and until when it may be restored. */
export interface ArchiveState {
  readonly archivedAt: Date;
  /** The end of the retention window: restorable before it, purged after it (unless on legal hold). */
  readonly purgeAfter: Date;
  /** The user who deleted it (24 hex digits), or `operator`. */
  readonly archivedBy: string;
  /** The `organization.archived` event (committed once the organization is archived). */
  readonly eventId: string;
}

/**
 * How far a purge has come (see `./purge.ts`): what it counted before removing anything (the
 * `organization.purged` event's evidence) and the steps done. Kept on the organization document,
 * which a purge removes last, so a purge that stopped anywhere resumes where it stopped.
 */
export interface PurgeProgress {
  readonly startedAt: Date;
  /** The `organization.purged` event, begun with the counts and committed once the document is gone. */
  readonly eventId: string;
  /** `operator` (at once, on request) or `retention` (the window passed). */
  readonly reason: 'operator' | 'retention';
  /** The names of the steps done, in order (see `PURGE_STEPS`). */
  readonly done: readonly string[];
}

/** When a run started. */
interface Started {
  readonly startedAt: Date;
}

/**
 * The lease of a run: when it started and when its owner last said it is alive. Another run may take
 * the work over only once `renewedAt` (or, before any renewal, `startedAt`) is a lease old.
 */
export interface Lease extends Started {
  /** Moved forward by the owner's heartbeat while it works. */
  readonly renewedAt?: Date;
}

/** When a lease was last known to be alive. */
export const lastAlive = (lease: Lease): Date => lease.renewedAt ?? lease.startedAt;

/**
 * A multi-step change in progress; whether its run is alive is its operation lock's lease (see
 * {@link OperationLock}). Renames and moves name their `owner` (the lock id of the run doing them): it
 * is the fencing token, every later change of the organization document by that run requires it, and
 * a take-over replaces it, so a run that was taken over can change nothing more.
 */
/** The lifecycle event an operation records itself by (pending until it ends; see `#core/events/model.ts`). */
interface Evented {
  /** Absent on operations begun before the event log. */
  readonly eventId?: string;
}

export type Operation =
  | ({ readonly kind: 'create' } & Started & Evented)
  | ({ readonly kind: 'delete' } & Started & Evented)
  | ({
      readonly kind: 'rename';
      readonly owner?: string;
      readonly toName: string;
      readonly toSlug: string;
      readonly from: Placement;
      readonly to: Placement;
      /** The identity (UUID) of the collection being renamed, so a retry can tell it from a stray one. */
      readonly sourceId?: string;
    } & Started &
      Evented)
  | ({
      readonly kind: 'move';
      /** The fencing token: the job's id for a move run by a job, else the lock id of the run. */
      readonly owner?: string;
      /** The job that carries the move out (absent on moves from before jobs). */
      readonly jobId?: string;
      readonly from: Placement;
      /** A new place for each owner: a take-over copies to a place of its own, never to the one it took over. */
      readonly to: Placement;
    } & Started &
      Evented);

/**
 * The cleanup a committed operation still owes: recorded on the organization in the same conditional
 * update that commits it, removed once paid. Whoever meets it a lease after `at` (a request, the
 * reconciler) may pay it, since the run that committed it is dead by then or has paid already: every
 * step is idempotent. Paying takes the organization's lock, which frees the dead run's lock on the way.
 */
export interface Owed {
  /** The lock id of the run that committed (it removes the record only if it is still its own). */
  readonly owner: string;
  /** When the operation committed; the lease of the debt runs from here. */
  readonly at: Date;
  /** Name claims (slugs) the organization no longer uses. */
  readonly names: readonly string[];
  /** Places the organization's data has left. */
  readonly places: readonly Placement[];
  /** The operation's event, committed if its mark was lost. */
  readonly eventId?: string;
}

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly slug: string;
  readonly status: OrgStatus;
  readonly placement: Placement;
  readonly adminId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly operation?: Operation;
  /** The cleanup a committed operation still owes (see {@link Owed}); absent when there is none. */
  readonly owed?: Owed;
  /**
   * The placement's fencing epoch: goes up each time a change that moved (or tried to move) the data
   * ends, committed or undone. A records request reads it before its database operation and checks it
   * after; a write that spans an epoch change is not acknowledged (see `#core/records/service.ts`).
   * The operation's `owner` is the other fence: the fencing token of the run that holds the change.
   */
  readonly placementVersion?: number;
  /**
   * The owner's policy: members act on the organization only in sessions that began with a second
   * factor (see `Caller.twoFactor`).
   */
  readonly requireTwoFactor?: boolean;
  /** Present while the organization is `archived` or `purging`. */
  readonly archive?: ArchiveState;
  /**
   * Legal hold, set and released by the operator: no purge runs while it is on, whatever the window
   * says. It belongs to the organization, not to one archive: a restore keeps it, so a later delete's
   * archive is held too (read it with {@link isOnLegalHold}).
   */
  readonly legalHold?: boolean;
  /** Present while the organization is `purging`. */
  readonly purge?: PurgeProgress;
}

/**
 * An organization's operation lock: inserted (unique `_id`, the org id) before any change to the
 * organization document, removed after. Inserts are atomic on every MongoDB flavour, so of two
 * concurrent changes exactly one proceeds; `startedAt` lets a later request take over a dead run's lock.
 */
export interface OperationLock extends Lease {
  readonly orgId: string;
  readonly lockId: string;
  /** What the lock is held for; `settle` is a recovery (the stored value keeps its first name). */
  readonly kind: 'update' | 'move' | 'delete' | 'settle';
}

/**
 * A user: one identity across the service (unique email, one password), a member of any number of
 * organizations (see `#core/members/model.ts`). The type keeps the name of the time when every
 * organization had exactly one admin.
 */
export interface Admin {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  /** The organization the user created, if any (recovery of a half-done create uses it). */
  readonly orgId?: string;
  /** Bumped by "logout everywhere" and credential changes; tokens carrying an older one are dead. */
  readonly tokenVersion: number;
  /** When `email` was proven to reach the user (a verification link, a reset link or an invitation). */
  readonly emailVerifiedAt?: Date;
  /** An address the user asked to change to; it replaces `email` once verified. */
  readonly pendingEmail?: string;
  /** Two-factor authentication (TOTP, RFC 6238), once enrolment has begun. */
  readonly twoFactor?: TwoFactorState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/**
 * A user's TOTP factor. `secret` is the shared key (base32, RFC 4648 §6) the authenticator holds;
 * until `enabledAt` is set it is an enrolment waiting for its first code. Recovery codes are stored as
 * SHA-256 hex digests; each is spent once.
 */
export interface TwoFactorState {
  readonly secret: string;
  readonly enabledAt?: Date;
  readonly recoveryCodeHashes: readonly string[];
}

/** A reservation of a slug by one organization; the unique `_id` makes concurrent claims safe. */
export interface NameClaim {
  readonly slug: string;
  readonly orgId: string;
  readonly claimedAt: Date;
}

/** The fields of an organization anyone may read. */
export interface PublicOrganization {
  readonly organization_id: string;
  readonly organization_name: string;
  readonly collection_name: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export function toPublic(org: Organization): PublicOrganization {
  return {
    organization_id: org.id,
    organization_name: org.name,
    collection_name: org.placement.collection,
    created_at: org.createdAt.toISOString(),
    updated_at: org.updatedAt.toISOString(),
  };
}

/** True while the organization is on legal hold. */
export const isOnLegalHold = (org: Organization): boolean => org.legalHold === true;
