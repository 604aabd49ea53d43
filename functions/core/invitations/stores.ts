import type { Invitation, InvitationStatus } from './model.ts';

/**
 * The port of the invitations store; `#core/mongo/invitation-store.ts` implements it on MongoDB.
 * Every method is one round trip on one collection.
 */

export interface InvitationPage {
  readonly items: readonly Invitation[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

/** What closed an invitation: the one outcome recorded under its id. */
export type InvitationOutcome = 'accepted' | 'revoked';

export interface InvitationStore {
  /**
   * Inserts a pending invitation; `open_exists` while the organization has another open (pending,
   * expired or not) invitation to the same email: the open key `<orgId>:<email>` is unique.
   */
  insert(invitation: Invitation): Promise<'ok' | 'open_exists'>;
  /** The open invitation of `orgId` to `email` (pending, possibly expired), if any. */
  findOpen(orgId: string, email: string): Promise<Invitation | null>;
  findById(orgId: string, id: string): Promise<Invitation | null>;
  findByTokenHash(tokenHash: string): Promise<Invitation | null>;
  /**
   * The organization's invitations newest first (by id), `limit` at a time, after the cursor `after`;
   * `status` filters (`pending` means pending and not expired at `now`, `expired` pending and expired).
   */
  page(orgId: string, limit: number, options: { after?: string; status?: InvitationStatus; now: Date }): Promise<InvitationPage>;
  /**
   * Records the one outcome of the invitation: an insert under its id, so of concurrent accepts and
   * revokes exactly one gets true on every server. The others get false.
   */
  claim(id: string, outcome: InvitationOutcome, at: Date): Promise<boolean>;
  /** The outcome recorded for the invitation, if any. */
  outcomeOf(id: string): Promise<InvitationOutcome | null>;
  /** Undoes a claim whose work failed, so the invitation can be used again. */
  unclaim(id: string, outcome: InvitationOutcome): Promise<void>;
  /**
   * Writes the outcome into the invitation document and frees its open key, so the email can be
   * invited again. Called after a successful {@link claim} (or to close an expired one: `expired`).
   */
  close(invitation: Invitation, outcome: InvitationOutcome | 'expired', at: Date, acceptedBy?: string): Promise<void>;
  removeByOrg(orgId: string): Promise<void>;
}
