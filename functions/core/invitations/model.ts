/**
 * Invitations to join an organization. An invitation names an email and a role; it is accepted with
 * a single-use secret that goes out by email only and is stored only as its SHA-256.
 */

/**
 * `pending` until one of: `accepted` (a membership was made), `revoked` (an admin withdrew it), or
 * `expired` (its `expiresAt` has passed while it was pending; computed, never stored).
 */
export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** The statuses an invitation document stores; `expired` is read from `expiresAt`. */
export type StoredInvitationStatus = Exclude<InvitationStatus, 'expired'>;

export const INVITATION_STATUSES: readonly InvitationStatus[] = ['pending', 'accepted', 'revoked', 'expired'];

export interface Invitation {
  /** 24 hex digits. */
  readonly id: string;
  readonly orgId: string;
  /** Lower case, as users' emails are stored. */
  readonly email: string;
  /** A built-in role or one of the organization's custom roles when it was made. */
  readonly role: string;
  /** The user who invited. */
  readonly invitedBy: string;
  /** SHA-256 of the secret, 64 hex digits. */
  readonly tokenHash: string;
  readonly status: StoredInvitationStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** When it was accepted or revoked. */
  readonly closedAt?: Date;
  /** The user who accepted it. */
  readonly acceptedBy?: string;
}

/** What an invitation is now: its stored status, or `expired` when a pending one is past `expiresAt`. */
export function statusAt(invitation: Pick<Invitation, 'status' | 'expiresAt'>, now: Date): InvitationStatus {
  return invitation.status === 'pending' && invitation.expiresAt.getTime() <= now.getTime() ? 'expired' : invitation.status;
}
