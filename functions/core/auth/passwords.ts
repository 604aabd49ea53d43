import bcrypt from 'bcryptjs';
import * as z from '../zod.ts';

/**
 * Passwords: prepared as RFC 8265's OpaqueString profile (PRECIS) says, then hashed with bcrypt.
 *
 * Preparation, every time a password is hashed or compared ({@link preparePassword}): each non-ASCII
 * space (Unicode general category Zs, such as U+00A0 or U+3000) becomes U+0020, then the string is put
 * in Unicode Normalization Form C. So "mañana" typed with a composed ñ (U+00F1) and with a decomposed
 * one (n + U+0303) is one password, as NIST SP 800-63B asks of verifiers that accept Unicode. NFC, not
 * NFKC: the profile keeps compatibility characters (ﬁ, full-width letters) distinct from their
 * plain forms, and so do we.
 *
 * Enforcement, when a password is set (sign-up, change; {@link passwordProblem}), on the prepared form:
 * at least 8 characters, counted in code points (NIST SP 800-63B); at most 72 bytes of UTF-8, since
 * bcrypt reads no more and a longer one would be silently cut; no control characters (Cc), lone
 * surrogates (Cs) or unassigned code points and noncharacters (Cn), which the profile's
 * FreeformClass disallows (an unassigned code point could gain a decomposition in a later Unicode
 * version, and so change the prepared form). Default-ignorable code points such as U+200D (the zero
 * width joiner inside emoji sequences) stay allowed, unlike in FreeformClass.
 *
 * Login prepares and compares, never refuses: a hash made before preparation existed was made from the
 * password as typed, so when the prepared form does not match, the typed form is tried too, and a
 * match through it earns a new hash of the prepared form ({@link PasswordHasher.check}).
 */

export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;

/** Non-ASCII spaces (Zs other than U+0020), which OpaqueString maps to U+0020. */
const NON_ASCII_SPACE = /(?!\u0020)\p{Zs}/gu;
/** What a new password must not contain: controls, lone surrogates, unassigned code points. */
const DISALLOWED = /[\p{Cc}\p{Cs}\p{Cn}]/u;

/**
 * The form a password is hashed and compared in (RFC 8265 §4.2.2 preparation: non-ASCII spaces to
 * U+0020, then NFC).
 *
 * @example preparePassword('man\u0303ana\u00a0secret') === 'ma\u00f1ana secret'
 */
export function preparePassword(password: string): string {
  return password.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
}

/** True when bcrypt would silently ignore part of the password (more than 72 bytes once prepared). */
export function passwordTooLong(password: string): boolean {
  return bcrypt.truncates(preparePassword(password));
}

/** Why `password` cannot be set as a new password, or undefined when it can (rules above). */
export function passwordProblem(password: string): string | undefined {
  const prepared = preparePassword(password);
  if ([...prepared].length < PASSWORD_MIN_CHARS) return `must be at least ${PASSWORD_MIN_CHARS} characters`;
  if (bcrypt.truncates(prepared)) return `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`;
  const bad = DISALLOWED.exec(prepared)?.[0];
  if (bad !== undefined) {
    const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return `must not contain control characters, lone surrogates or unassigned code points (found ${code})`;
  }
  return undefined;
}

/** A new password (sign-up, change), checked by {@link passwordProblem}. */
export const newPassword = z.string().check(
  z.superRefine((value, ctx) => {
    const problem = passwordProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  z.meta({
    minLength: PASSWORD_MIN_CHARS,
    pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*$',
    description: `${PASSWORD_MIN_CHARS} characters to ${PASSWORD_MAX_BYTES} bytes (UTF-8), after non-ASCII spaces become U+0020 and Unicode NFC (RFC 8265 OpaqueString); no control characters or unassigned code points.`,
  }),
);

/**
 * A well-formed hash nobody's password matches, at the configured cost: comparing against it takes
 * as long as comparing against a real hash, so an unknown email cannot be told from a wrong password
 * by timing. bcrypt's cost is read from the hash, so no hashing is needed to build it.
 */
function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${'N'.repeat(53)}`;
}

/** What a login's comparison found. */
export interface PasswordCheck {
  readonly matched: boolean;
  /**
   * The stored hash should be replaced by `hash(password)`: it was made from the password as typed
   * rather than prepared, or at a lower cost than the configured one.
   */
  readonly rehash: boolean;
}

export interface PasswordHasher {
  /** Hashes the prepared form. Throws when it is over 72 bytes (new passwords are checked first). */
  hash(password: string): Promise<string>;
  /**
   * Compares the prepared form against `hash`, then the form as typed if that differs and the first
   * did not match. With no hash, or for a form over 72 bytes, the comparison is made against a dummy
   * of equal cost, so every failure costs the same bcrypt work for a given password.
   */
  check(password: string, hash: string | undefined): Promise<PasswordCheck>;
  /** True when `hash` was made at a lower cost than the configured one. */
  needsRehash(hash: string): boolean;
}

export function createPasswordHasher(cost: number): PasswordHasher {
  const dummy = dummyHash(cost);
  const needsRehash = (hash: string) => bcrypt.getRounds(hash) < cost;
  return {
    async hash(password) {
      const prepared = preparePassword(password);
      if (bcrypt.truncates(prepared)) throw new RangeError(`a password is at most ${PASSWORD_MAX_BYTES} bytes`);
      return bcrypt.hash(prepared, cost);
    },
    async check(password, hash) {
      const prepared = preparePassword(password);
      const forms = prepared === password ? [prepared] : [prepared, password];
      for (const [i, form] of forms.entries()) {
        const usable = hash !== undefined && !bcrypt.truncates(form);
        const matched = await bcrypt.compare(form, usable ? hash : dummy);
        if (matched && usable) {
          const typedFormMatched = i > 0 && !bcrypt.truncates(prepared);
          return { matched: true, rehash: typedFormMatched || needsRehash(hash) };
        }
      }
      return { matched: false, rehash: false };
    },
    needsRehash,
  };
}
