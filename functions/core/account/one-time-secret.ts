import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets a user receives once (a password reset or verification link, a login challenge): 32
 * random bytes (256 bits) in base64url without padding (RFC 4648 §5), 43 characters. Only the
 * SHA-256 is stored, so the database never holds a usable secret; 256 random bits need no slow hash.
 */
export function newOneTimeSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of `value` as 64 hex digits. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The shape of a secret from {@link newOneTimeSecret}: 43 base64url characters. */
export const ONE_TIME_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
