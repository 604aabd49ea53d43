/**
 * Memberships and custom roles. A user (one identity, unique email, one password) belongs to any
 * number of organizations; a membership ties one user to one organization with one role.
 */

export interface Membership {
  readonly orgId: string;
  readonly userId: string;
  /** A built-in role (`owner`, `admin`, `member`) or the name of one of the organization's custom roles. */
  readonly role: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A role an organization defined, from the permission list (`./permissions.ts`). */
export interface CustomRole {
  readonly orgId: string;
  /** Lower-case, unique within the organization, never a built-in role's name. */
  readonly name: string;
  readonly description?: string;
  readonly permissions: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A member as the members list shows it. */
export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly role: string;
  readonly joinedAt: Date;
}
