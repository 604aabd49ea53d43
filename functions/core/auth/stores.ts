/**
 * Ports for the token lifecycle. Every record that only matters for a while carries `expiresAt`, and
 * every query filters on it, so correctness never depends on a TTL index (which not every server has).
 */

export interface RefreshTokenRecord {
  /** SHA-256 of the opaque token; the token itself is never stored. */
  readonly hash: string;
  /** All refresh tokens descending from one login share a family (the session). */
  readonly familyId: string;
  /** The user the family belongs to. */
  readonly userId: string;
  readonly orgId: string;
  /** The user's token version when the family began; a later "logout everywhere" invalidates it. */
  readonly tokenVersion: number;
  /** True when the session began with a second factor (TOTP or a recovery code). */
  readonly mfa?: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface RefreshTokenStore {
  insert(record: RefreshTokenRecord): Promise<void>;
  find(hash: string, now: Date): Promise<RefreshTokenRecord | null>;
  /**
   * Marks a token used; false when it was used already (by this or a concurrent request). An insert
   * under a unique key, so exactly one of any number of concurrent uses wins on every server.
   */
  markUsed(hash: string, at: Date, expiresAt: Date): Promise<boolean>;
  removeByOrg(orgId: string): Promise<void>;
}

export interface RevocationStore {
  /** Revokes `key` (`jti:<id>` or `sid:<family>`) until `expiresAt`. Idempotent. */
  revoke(key: string, expiresAt: Date): Promise<void>;
  /** The keys among `keys` revoked at `now`. */
  revoked(keys: readonly string[], now: Date): Promise<string[]>;
}

/**
 * Failed attempts, one document each (an insert never loses a concurrent count, where an in-place
 * increment may on some servers), shared by every container.
 */
export interface AttemptLog {
  record(key: string, at: Date, expiresAt: Date): Promise<void>;
  /** Expiry times of the newest `limit` live attempts for `key`, newest first. */
  latest(key: string, now: Date, limit: number): Promise<Date[]>;
  clear(key: string): Promise<void>;
}

export interface AuthStores {
  readonly refreshTokens: RefreshTokenStore;
  readonly revocations: RevocationStore;
  readonly attempts: AttemptLog;
}
