import type { Admin, NameClaim, Operation, Organization, OrgStatus, Placement } from './model.ts';

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
  /** `null` removes the operation. */
  operation: Operation | null;
}>;

export interface OrganizationStore {
  /** Inserts a new organization; `slug_taken` while another document still has its slug. */
  insert(org: Organization): Promise<'ok' | 'slug_taken'>;
  findById(id: string): Promise<Organization | null>;
  findBySlug(slug: string): Promise<Organization | null>;
  /** Applies `changes` only while the organization is in one of `from`; null when it was not. */
  transition(id: string, from: readonly OrgStatus[], changes: OrgChanges): Promise<Organization | null>;
  remove(id: string): Promise<void>;
  /** Organizations whose operation started before `before` (candidates for reconciliation). */
  listUnsettled(before: Date): Promise<Organization[]>;
}

export interface NameClaimStore {
  /** Reserves `slug` for `orgId`; false when it is already reserved (by anyone). */
  claim(claim: NameClaim): Promise<boolean>;
  find(slug: string): Promise<NameClaim | null>;
  release(slug: string, orgId: string): Promise<void>;
  releaseAllOf(orgId: string): Promise<void>;
  listClaimedBefore(before: Date): Promise<NameClaim[]>;
}

export type CredentialChanges = Partial<{ email: string; passwordHash: string }>;

export interface AdminStore {
  /** Inserts an admin; `email_taken` when another admin has the email. */
  insert(admin: Admin): Promise<'ok' | 'email_taken'>;
  findById(id: string): Promise<Admin | null>;
  findByEmail(email: string): Promise<Admin | null>;
  /** Changes email and/or password hash and revokes every token the admin holds. */
  updateCredentials(id: string, changes: CredentialChanges, at: Date): Promise<'ok' | 'email_taken' | 'missing'>;
  /** Replaces the hash only if it is still `previous` (a rehash at a higher cost; tokens stay valid). */
  replaceHash(id: string, previous: string, next: string): Promise<void>;
  /** Revokes every token the admin holds. */
  bumpTokenVersion(id: string, at: Date): Promise<void>;
  removeByOrg(orgId: string): Promise<void>;
}

/** The places that hold organizations' data. Every method is idempotent. */
export interface TenantSpaces {
  create(placement: Placement): Promise<void>;
  drop(placement: Placement): Promise<void>;
  /** Moves all data from one placement to another; done already is fine. */
  move(from: Placement, to: Placement): Promise<void>;
}

/** The sessions an organization's admins hold, removed with the organization. */
export interface SessionCleanup {
  removeByOrg(orgId: string): Promise<void>;
}

export interface OrgStores {
  readonly orgs: OrganizationStore;
  readonly names: NameClaimStore;
  readonly admins: AdminStore;
  readonly tenants: TenantSpaces;
  readonly sessions: SessionCleanup;
}
