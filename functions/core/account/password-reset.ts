import { type PasswordHasher, passwordProblem } from '../auth/passwords.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import { log } from '../log.ts';
import type { Outbox } from '../mail/outbox.ts';
import { passwordResetMessage, passwordResetUnknownMessage } from '../mail/templates.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { AccountAudit } from './events.ts';
import { newOneTimeSecret, sha256Hex } from './one-time-secret.ts';
import type { AccountTokenStore } from './stores.ts';

/**
 * Password reset by email (OWASP Forgot Password Cheat Sheet): asking always answers the same, with
 * the same work, whether or not a user has the address: a link for a user, a note saying no account
 * uses it for anyone else, each written to the outbox and sent. The link's secret is single-use,
 * stored as its SHA-256, and dies after `ttlMs` or once the password changes by any route. Setting
 * the new password follows the sign-up rules and revokes every session of the user (the token
 * version goes up); the link also proves the address and lifts a login lockout on it.
 */

export interface PasswordResetDeps {
  readonly users: Pick<AdminStore, 'findByEmail' | 'findById' | 'resetPassword' | 'markEmailVerified'>;
  readonly tokens: AccountTokenStore;
  readonly outbox: Outbox;
  readonly hasher: PasswordHasher;
  /** Requests per email and per source address (keys under `reset:`). */
  readonly requestLimit: LoginThrottle;
  /** The login lockout, lifted for the address once its password is reset. */
  readonly loginThrottle?: LoginThrottle;
  /** `ACCOUNT_URL_BASE`; links open `<base>/reset-password?token=<secret>`. */
  readonly accountUrlBase: string;
  readonly ttlMs: number;
  /** Records `password.reset` and `password.changed` in the user's organizations; none: not recorded. */
  readonly audit?: AccountAudit;
  readonly now?: () => Date;
}

/** 404 `reset_link_invalid`: unknown, expired, used, or made before the password last changed. */
export const resetLinkInvalid = () =>
  new NotFoundError('reset_link_invalid', 'The reset link is invalid, expired or already used; ask for a new one.');

/** The page a reset link opens, under the account pages' base URL. */
export function accountPage(base: string, page: 'reset-password' | 'verify-email'): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${page}`;
  return url.toString();
}

export class PasswordResetService {
  readonly #deps: PasswordResetDeps;
  readonly #now: () => Date;

  constructor(deps: PasswordResetDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Asks for a reset of `email`'s password. Answers nothing either way; the same store writes and
   * the same send happen whether or not a user has the address.
   *
   * @throws TooManyRequestsError `too_many_attempts` (429, Retry-After) past the per-email or per-source limit.
   */
  async request(email: string, sourceIp?: string): Promise<void> {
    await this.#deps.requestLimit.attempt(email, sourceIp); // every request counts, not only failures
    const user = await this.#deps.users.findByEmail(email);
    const now = this.#now();
    const secret = newOneTimeSecret();
    const expiresAt = new Date(now.getTime() + this.#deps.ttlMs);
    await this.#deps.tokens.insert({
      hash: sha256Hex(secret),
      purpose: 'password_reset',
      email,
      createdAt: now,
      expiresAt,
      ...(user ? { userId: user.id, passwordFingerprint: sha256Hex(user.passwordHash) } : {}),
    });
    const message = user
      ? passwordResetMessage({ to: email, secret, urlBase: accountPage(this.#deps.accountUrlBase, 'reset-password'), expiresAt })
      : passwordResetUnknownMessage({ to: email });
    await this.#deps.outbox.enqueueAndSend(newId(), message, 'password_reset');
  }

  /**
   * Changes the caller's password, given the current one; every session of the user ends (the
   * token version goes up), this one included.
   *
   * @throws ForbiddenError `wrong_password` (403), counted toward the login lockout.
   * @throws TooManyRequestsError `too_many_attempts` (429) while the account is locked out.
   * @throws ConflictError `password_changed` (409) when another change won the race.
   */
  async change(userId: string, currentPassword: string, newPassword: string, sourceIp?: string): Promise<void> {
    const user = await this.#deps.users.findById(userId);
    if (!user) throw new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.');
    const throttle = this.#deps.loginThrottle;
    await throttle?.check(user.email, sourceIp);
    if (!(await this.#deps.hasher.check(currentPassword, user.passwordHash)).matched) {
      await throttle?.failed(user.email, sourceIp);
      throw new ForbiddenError('wrong_password', 'The current password is incorrect.');
    }
    const problem = passwordProblem(newPassword);
    if (problem) throw new ValidationError('The password is not acceptable.', [{ pointer: '/new_password', message: problem }]);
    const nextHash = await this.#deps.hasher.hash(newPassword);
    const write = () => this.#deps.users.resetPassword(user.id, user.passwordHash, nextHash, this.#now());
    const outcome = this.#deps.audit
      ? await this.#deps.audit.around(user.id, 'password.changed', write, { proof: { tokenVersion: user.tokenVersion } })
      : await write();
    if (outcome === 'stale') {
      throw new ConflictError('password_changed', 'The password changed meanwhile; log in again.');
    }
    log.info('password changed', { userId: user.id });
  }

  /**
   * Sets a new password with a reset link's secret, then signs the user out everywhere.
   *
   * @throws ValidationError (400) when `password` breaks the rules (the link stays usable).
   * @throws NotFoundError `reset_link_invalid` (404).
   */
  async confirm(secret: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new ValidationError('The password is not acceptable.', [{ pointer: '/password', message: problem }]);
    const hash = sha256Hex(secret);
    const token = await this.#deps.tokens.find(hash, ['password_reset'], this.#now());
    if (!token?.userId) throw resetLinkInvalid();
    const user = await this.#deps.users.findById(token.userId);
    if (!user || user.email !== token.email || sha256Hex(user.passwordHash) !== token.passwordFingerprint) {
      throw resetLinkInvalid();
    }
    const nextHash = await this.#deps.hasher.hash(password);
    if (!(await this.#deps.tokens.spend(hash))) throw resetLinkInvalid(); // a concurrent use won
    const now = this.#now();
    const write = () => this.#deps.users.resetPassword(user.id, user.passwordHash, nextHash, now);
    const outcome = this.#deps.audit
      ? await this.#deps.audit.around(user.id, 'password.reset', write, { proof: { tokenVersion: user.tokenVersion } })
      : await write();
    if (outcome === 'stale') {
      throw resetLinkInvalid(); // the password changed between our read and our write
    }
    log.info('password reset', { userId: user.id });
    await Promise.all([
      this.#deps.users.markEmailVerified(user.id, user.email, now),
      this.#deps.loginThrottle?.succeeded(user.email),
    ]).catch((error) =>
      log.warn('after a reset, the address was not marked verified or the lockout not lifted', {
        userId: user.id,
        error: (error as Error).name,
      }),
    );
  }
}
