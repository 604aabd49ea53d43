import { randomInt } from 'node:crypto';
import { sha256Hex } from './one-time-secret.ts';

/**
 * Recovery codes: one-time stand-ins for the authenticator, shown once at enrolment. Each is 10
 * characters from a 31-letter alphabet without look-alikes (no 0/o, 1/l/i), about 49.5 bits, shown
 * as `xxxxx-xxxxx`; stored as the SHA-256 of the normalized code. Login attempts with them count
 * toward the lockout like passwords, so 49 bits is far out of reach.
 */

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** `RECOVERY_CODE_COUNT` new codes, as shown to the user. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** A code as typed, without case, spaces or dashes; null when it cannot be a recovery code. */
export function normalizeRecoveryCode(code: string): string | null {
  const plain = code.toLowerCase().replace(/[\s-]/g, '');
  return plain.length === LENGTH && [...plain].every((c) => ALPHABET.includes(c)) ? plain : null;
}

/** What the database keeps of a code: SHA-256 of its normalized form. */
export function hashRecoveryCode(normalized: string): string {
  return sha256Hex(`recovery:${normalized}`);
}
