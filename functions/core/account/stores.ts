/**
 * The ports of account security: one-time links (password reset, email verification), login
 * challenges of two-factor authentication, and the record of one-time codes already used.
 * `#core/mongo/account-stores.ts` implements them on MongoDB. Every record carries `expiresAt` and
 * every query filters on it, so correctness never depends on a TTL index.
 */

/** What a one-time link is for. */
export type AccountTokenPurpose = 'password_reset' | 'email_verification' | 'email_change';

/** A one-time link's record; the secret itself is never stored, only its SHA-256. */
export interface AccountToken {
  /** SHA-256 of the secret, 64 hex digits. */
  readonly hash: string;
  readonly purpose: AccountTokenPurpose;
  /** The user it acts on; absent for a reset asked for an address no user has (never redeemable). */
  readonly userId?: string;
  /** The address the link was sent to (for `email_change`, the new address). */
  readonly email: string;
  /**
   * `password_reset` only: SHA-256 of the user's password hash when the link was made, so a link
   * made before a password change is refused after it.
   */
  readonly passwordFingerprint?: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface AccountTokenStore {
  insert(token: AccountToken): Promise<void>;
  /** The live token with this hash and one of `purposes`, without spending it. */
  find(hash: string, purposes: readonly AccountTokenPurpose[], now: Date): Promise<AccountToken | null>;
  /** Spends the token: true for exactly one of any number of concurrent callers (a delete by `_id`). */
  spend(hash: string): Promise<boolean>;
}

/** A login waiting for its second factor. */
export interface LoginChallenge {
  /** SHA-256 of the challenge secret the client holds. */
  readonly hash: string;
  readonly userId: string;
  /** The organization the login chose. */
  readonly orgId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface LoginChallengeStore {
  insert(challenge: LoginChallenge): Promise<void>;
  find(hash: string, now: Date): Promise<LoginChallenge | null>;
  /** Spends the challenge: true for exactly one of any number of concurrent callers. */
  spend(hash: string): Promise<boolean>;
}

/**
 * One-time codes already accepted (a TOTP time step, a recovery code), by key. An insert under a
 * unique key, so of concurrent uses of one code exactly one is first on every server.
 */
export interface UsedCodeLog {
  /** Records the use of `key` until `expiresAt`; true when this is its first use. */
  use(key: string, at: Date, expiresAt: Date): Promise<boolean>;
}

export interface AccountStores {
  readonly accountTokens: AccountTokenStore;
  readonly loginChallenges: LoginChallengeStore;
  readonly usedCodes: UsedCodeLog;
}
