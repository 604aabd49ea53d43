import { randomBytes } from 'node:crypto';

/** A new id in ObjectId form (24 hex digits): 4 bytes of seconds, then 8 random bytes. */
export function newId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return seconds + randomBytes(8).toString('hex');
}

/** True for a string in the form {@link newId} makes. */
export function isId(value: string): boolean {
  return /^[0-9a-f]{24}$/.test(value);
}

/** A random token of `bytes` bytes in hex (lock ids, data generations). */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
