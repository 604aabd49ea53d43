import { randomBytes, randomInt } from 'node:crypto';

const processPart = randomBytes(5).toString('hex');
let counter = randomInt(0xffffff);

/**
 * A new id in ObjectId form (24 hex digits): 4 bytes of seconds, 5 random bytes fixed per process and
 * a 3-byte counter, as MongoDB drivers make them; ids one process makes in one second sort in order.
 */
export function newId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  counter = (counter + 1) % 0x1000000;
  return seconds + processPart + counter.toString(16).padStart(6, '0');
}

/** A random token of `bytes` bytes in hex (lock ids, data generations). */
export function randomToken(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
