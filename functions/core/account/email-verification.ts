import type { PasswordHasher } from '../auth/passwords.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors.ts';
import { newId } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import type { Outbox } from '../mail/outbox.ts';
import { emailChangeNoticeMessage, emailVerificationMessage } from '../mail/templates.ts';
import type { Admin } from '../orgs/model.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { AccountAudit } from './events.ts';
import { newOneTimeSecret, sha256Hex } from './one-time-secret.ts';
import { accountPage } from './password-reset.ts';
import type { AccountTokenStore } from './stores.ts';

/**
 * Email verification: proving that an address reaches its user. Sign-up sends a link; accepting an
 * invitation or using a reset link proves the address too. A change of address needs the current
 * password, tells the old address, and takes effect only when the new address follows its link, so
 * neither a stolen session nor a typo moves the account; the old address is told again once it has.
 */

export interface EmailVerificationDeps {
  readonly users: Pick<AdminStore, 'findById' | 'findByEmail' | 'markEmailVerified' | 'setPendingEmail' | 'changeEmail'>;
  readonly tokens: AccountTokenStore;
  readonly outbox: Outbox;
  /** Needed to ask for a change of address (the current password). */
  readonly hasher?: PasswordHasher;
  /** The login lockout: wrong current passwords count toward it. */
  readonly loginThrottle?: LoginThrottle;
  /** Verification emails per address and per source (keys under `verify:`). */
  readonly requestLimit?: LoginThrottle;
  /** `ACCOUNT_URL_BASE`; links open `<base>/verify-email?token=<secret>`. */
  readonly accountUrlBase: string;
  readonly ttlMs: number;
  /** Records `email.verified` and `email.changed` in the user's organizations; none: not recorded. */
  readonly audit?: AccountAudit;
  readonly now?: () => Date;
}

/** What the profile says of the caller's address. */
export interface EmailStatus {
  readonly email: string;
  readonly emailVerified: boolean;
  readonly pendingEmail?: string;
}

/** 404 `verification_link_invalid`. */
const linkInvalid = () =>
  new NotFoundError('verification_link_invalid', 'The verification link is invalid, expired or already used.');
const gone = () => new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.');

export function emailStatusOf(user: Admin): EmailStatus {
  return {
    email: user.email,
    emailVerified: user.emailVerifiedAt !== undefined,
    ...(user.pendingEmail ? { pendingEmail: user.pendingEmail } : {}),
  };
}

export class EmailVerificationService {
  readonly #deps: EmailVerificationDeps;
  readonly #now: () => Date;

  constructor(deps: EmailVerificationDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Writes a verification link for `user`'s current address to the outbox and tries to send it. Used
   * at sign-up, where a failure must not undo the sign-up: the caller decides (see {@link sendQuietly}).
   */
  async send(user: Pick<Admin, 'id' | 'email'>): Promise<void> {
    await this.#sendLink(user.id, user.email, 'email_verification');
  }

  /** {@link send}, logging instead of throwing: the account exists either way, and the user can ask again. */
  async sendQuietly(user: Pick<Admin, 'id' | 'email'>): Promise<void> {
    await this.send(user).catch((error) => log.warn('verification email not queued', { userId: user.id, ...errorFields(error) }));
  }

  /**
   * Sends the caller's address a new link (or, while a change is pending, the new address).
   *
   * @throws ConflictError `email_verified` (409) when there is nothing to verify.
   * @throws TooManyRequestsError (429) past the per-address or per-source limit.
   */
  async resend(userId: string, sourceIp?: string): Promise<EmailStatus> {
    const user = await this.#deps.users.findById(userId);
    if (!user) throw gone();
    const pending = user.pendingEmail;
    if (!pending && user.emailVerifiedAt) throw new ConflictError('email_verified', 'Your email address is verified already.');
    const to = pending ?? user.email;
    await this.#deps.requestLimit?.attempt(to, sourceIp);
    await this.#sendLink(user.id, to, pending ? 'email_change' : 'email_verification');
    return emailStatusOf(user);
  }

  /**
   * Asks to move the caller's account to `newEmail`: checks the password, records the address as
   * pending, sends it a link and tells the current address.
   *
   * @throws ForbiddenError `wrong_password` (403), counted toward the login lockout.
   * @throws TooManyRequestsError `too_many_attempts` (429) while the account is locked out.
   * @throws ConflictError `same_email` or `email_taken` (409).
   */
  async requestChange(userId: string, newEmail: string, password: string, sourceIp?: string): Promise<EmailStatus> {
    const { hasher, loginThrottle } = this.#deps;
    if (!hasher) throw new Error('This email verification service cannot check passwords');
    const user = await this.#deps.users.findById(userId);
    if (!user) throw gone();
    await loginThrottle?.check(user.email, sourceIp);
    if (!(await hasher.check(password, user.passwordHash)).matched) {
      await loginThrottle?.failed(user.email, sourceIp);
      throw new ForbiddenError('wrong_password', 'The current password is incorrect.');
    }
    if (newEmail === user.email) throw new ConflictError('same_email', 'That is your email address already.');
    if (await this.#deps.users.findByEmail(newEmail))
      throw new ConflictError('email_taken', 'Another account uses that email address.');
    await this.#deps.requestLimit?.attempt(newEmail, sourceIp);
    const now = this.#now();
    await this.#deps.users.setPendingEmail(user.id, newEmail, now);
    await this.#sendLink(user.id, newEmail, 'email_change');
    await this.#deps.outbox
      .enqueueAndSend(newId(), emailChangeNoticeMessage({ to: user.email, newEmail, done: false }), 'email_change_notice')
      .catch((error) => log.warn('email change notice not queued', { userId: user.id, ...errorFields(error) }));
    return { ...emailStatusOf(user), pendingEmail: newEmail };
  }

  /**
   * Follows a verification link: marks the address verified, or moves the account to the new
   * address and tells the old one.
   *
   * @throws NotFoundError `verification_link_invalid` (404): unknown, expired, used, or overtaken
   *   (the account's address, or its pending one, changed since the link was sent).
   * @throws ConflictError `email_taken` (409): another account took the new address meanwhile.
   */
  async verify(secret: string): Promise<EmailStatus> {
    const hash = sha256Hex(secret);
    const now = this.#now();
    const token = await this.#deps.tokens.find(hash, ['email_verification', 'email_change'], now);
    if (!token?.userId) throw linkInvalid();
    const user = await this.#deps.users.findById(token.userId);
    if (!user) throw linkInvalid();
    if (token.purpose === 'email_verification') {
      if (user.email !== token.email) throw linkInvalid();
      if (!(await this.#deps.tokens.spend(hash))) throw linkInvalid();
      const mark = () => this.#deps.users.markEmailVerified(user.id, user.email, now);
      if (this.#deps.audit && !user.emailVerifiedAt) {
        await this.#deps.audit.around(user.id, 'email.verified', mark, { proof: { email: user.email } });
      } else {
        await mark();
      }
      return { ...emailStatusOf(user), emailVerified: true };
    }
    if (user.pendingEmail !== token.email) throw linkInvalid();
    if (await this.#deps.users.findByEmail(token.email))
      throw new ConflictError('email_taken', 'Another account uses that email address now.');
    if (!(await this.#deps.tokens.spend(hash))) throw linkInvalid();
    const write = () => this.#deps.users.changeEmail(user.id, user.email, token.email, now);
    const changed = this.#deps.audit
      ? await this.#deps.audit.around(user.id, 'email.changed', write, { proof: { email: token.email } })
      : await write();
    if (changed === 'email_taken') throw new ConflictError('email_taken', 'Another account uses that email address now.');
    if (changed === 'stale') throw linkInvalid();
    log.info('email changed', { userId: user.id });
    await this.#deps.outbox
      .enqueueAndSend(
        newId(),
        emailChangeNoticeMessage({ to: user.email, newEmail: token.email, done: true }),
        'email_change_notice',
      )
      .catch((error) => log.warn('email change notice not queued', { userId: user.id, ...errorFields(error) }));
    return { email: token.email, emailVerified: true };
  }

  async #sendLink(userId: string, email: string, purpose: 'email_verification' | 'email_change'): Promise<void> {
    const now = this.#now();
    const secret = newOneTimeSecret();
    const expiresAt = new Date(now.getTime() + this.#deps.ttlMs);
    await this.#deps.tokens.insert({ hash: sha256Hex(secret), purpose, userId, email, createdAt: now, expiresAt });
    const message = emailVerificationMessage({
      to: email,
      secret,
      urlBase: accountPage(this.#deps.accountUrlBase, 'verify-email'),
      expiresAt,
      change: purpose === 'email_change',
    });
    await this.#deps.outbox.enqueueAndSend(newId(), message, purpose);
  }
}
