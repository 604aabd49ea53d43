import { createHash, randomBytes } from 'node:crypto';

/**
 * The invitation secret: 32 random bytes (256 bits) in base64url without padding (RFC 4648 §5), 43
 * characters. Only its SHA-256 is stored, so the database never holds a usable secret.
 */
export function newInvitationSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of the secret as 64 hex digits: what the database stores and looks up. */
export function hashInvitationSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The shape of a secret this service issues: 43 base64url characters. */
export const INVITATION_SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
