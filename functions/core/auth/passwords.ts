import bcrypt from 'bcryptjs';

/** Passwords are hashed with bcrypt; bcrypt reads 72 bytes at most, so longer ones are refused. */

export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;

/** True when bcrypt would silently ignore part of the password. */
export function passwordTooLong(password: string): boolean {
  return bcrypt.truncates(password);
}

/**
 * A well-formed hash nobody's password matches, at the configured cost: comparing against it takes
 * as long as comparing against a real hash, so an unknown email cannot be told from a wrong password
 * by timing. bcrypt's cost is read from the hash, so no hashing is needed to build it.
 */
function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${'N'.repeat(53)}`;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Compares against `hash`, or against a dummy of equal cost when there is no hash. */
  verify(password: string, hash: string | undefined): Promise<boolean>;
  /** True when `hash` was made at a lower cost than the configured one. */
  needsRehash(hash: string): boolean;
}

export function createPasswordHasher(cost: number): PasswordHasher {
  const dummy = dummyHash(cost);
  return {
    hash: (password) => bcrypt.hash(password, cost),
    async verify(password, hash) {
      const matched = await bcrypt.compare(password, hash ?? dummy);
      return matched && hash !== undefined;
    },
    needsRehash: (hash) => bcrypt.getRounds(hash) < cost,
  };
}
