import type { PasswordHasher } from '../auth/passwords.ts';
import { live, type SessionService, type SessionTokens } from '../auth/sessions.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import { ConflictError, ForbiddenError, UnauthorizedError } from '../errors.ts';
import { type EventLog, userActor } from '../events/log.ts';
import { log } from '../log.ts';
import { metrics } from '../metrics.ts';
import type { Admin, TwoFactorState } from '../orgs/model.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { AccountAudit } from './events.ts';
import { newOneTimeSecret, sha256Hex } from './one-time-secret.ts';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.ts';
import type { LoginChallengeStore, UsedCodeLog } from './stores.ts';
import { matchTotpStep, newTotpSecret, otpauthUri, qrCodeDataUrl, TOTP_PERIOD_SECONDS, TOTP_WINDOW } from './totp.ts';

/**
 * Two-factor authentication with TOTP (RFC 6238) and recovery codes.
 *
 * - Enrolment: the password, then a new secret shown once (as an `otpauth://` URI and a QR image);
 *   the first correct code turns it on and yields recovery codes, shown once.
 * - Login of an enrolled user answers a challenge (a single-use secret, stored hashed, valid for
 *   `challengeTtlMs`) instead of tokens; a code or a recovery code completes it.
 * - Each code is accepted once (RFC 6238 §5.2): its time step is recorded under a unique key, so a
 *   replay, even a concurrent one, is refused.
 * - Every code attempt counts toward the login lockout before the code is judged, so a burst of
 *   concurrent guesses gets no more tries than the limit; a correct code clears the count.
 * - Nothing is spent on a login that cannot complete: the code is judged first without writing,
 *   then the challenge is spent, then the code.
 * - Turning it off needs the password and a code.
 */

export interface TwoFactorDeps {
  readonly users: Pick<AdminStore, 'findById' | 'setTwoFactor' | 'spendRecoveryCode'>;
  readonly usedCodes: UsedCodeLog;
  readonly challenges: LoginChallengeStore;
  /** Needed for enrolment and turning off (the password). */
  readonly hasher?: PasswordHasher;
  /** Needed to complete a login. */
  readonly sessions?: Pick<SessionService, 'start' | 'organizationsOf'> & Partial<Pick<SessionService, 'restorableOf'>>;
  readonly loginThrottle?: LoginThrottle;
  /** The name authenticator apps show (`TOTP_ISSUER`). */
  readonly issuer: string;
  readonly challengeTtlMs: number;
  /** Records `two_factor.enabled` and `two_factor.disabled` in the user's organizations. */
  readonly audit?: AccountAudit;
  /** Records `login.succeeded` when a challenge completes (a failure to record fails the login). */
  readonly events?: Pick<EventLog, 'record'>;
  readonly now?: () => Date;
}

/** A login that needs its second factor: the challenge secret and its lifetime in seconds. */
export interface SecondFactorChallenge {
  readonly challenge: string;
  readonly expiresIn: number;
}

/** An enrolment waiting for its first code. */
export interface Enrolment {
  /** Base32 (RFC 4648 §6), for typing into an authenticator. */
  readonly secret: string;
  readonly otpauthUri: string;
  /** The URI as a QR code: an SVG `data:` URL. */
  readonly qrCode: string;
}

const gone = () => new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.');
const wrongPassword = () => new ForbiddenError('wrong_password', 'The current password is incorrect.');
const challengeInvalid = () =>
  new UnauthorizedError('challenge_invalid', 'The login challenge is invalid, expired or already used; log in again.');
const changed = () => new ConflictError('two_factor_changed', 'Two-factor authentication changed meanwhile; try again.');

/** How long a used TOTP step is remembered: past the last moment a code of it can be accepted. */
const STEP_MEMORY_MS = (2 * TOTP_WINDOW + 2) * TOTP_PERIOD_SECONDS * 1000;
/** How long a spent recovery code's key is kept (the code is also removed from the user). */
const RECOVERY_MEMORY_MS = 400 * 86_400_000;

export class TwoFactorService {
  readonly #deps: TwoFactorDeps;
  readonly #now: () => Date;

  constructor(deps: TwoFactorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** True when `user` must complete logins with a second factor. */
  static enabledFor(user: Pick<Admin, 'twoFactor'>): boolean {
    return user.twoFactor?.enabledAt !== undefined;
  }

  /** Starts a login's second step for `user` in `orgId`: a single-use challenge. */
  async challenge(user: Pick<Admin, 'id'>, orgId: string): Promise<SecondFactorChallenge> {
    const now = this.#now();
    const challenge = newOneTimeSecret();
    await this.#deps.challenges.insert({
      hash: sha256Hex(challenge),
      userId: user.id,
      orgId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#deps.challengeTtlMs),
    });
    return { challenge, expiresIn: Math.round(this.#deps.challengeTtlMs / 1000) };
  }

  /**
   * Completes a login with the challenge and a TOTP code or a recovery code: tokens for the
   * organization the login chose, marked as a two-factor session.
   *
   * @throws UnauthorizedError `challenge_invalid` or `invalid_code` (401).
   * @throws TooManyRequestsError `too_many_attempts` (429) while the user is locked out.
   */
  async completeLogin(secret: string, code: string, sourceIp?: string): Promise<SessionTokens> {
    const { sessions, loginThrottle } = this.#deps;
    if (!sessions) throw new Error('This two-factor service cannot start sessions');
    const hash = sha256Hex(secret);
    const challenge = await this.#deps.challenges.find(hash, this.#now());
    if (!challenge) throw challengeInvalid();
    const user = await this.#deps.users.findById(challenge.userId);
    if (!user || !TwoFactorService.enabledFor(user)) throw challengeInvalid();
    await loginThrottle?.attempt(user.email, sourceIp);
    const invalidCode = () => {
      metrics.count('loginFailed');
      return new UnauthorizedError('invalid_code', 'The code is incorrect or was used already.');
    };
    const match = this.#match(user, code);
    if (!match) throw invalidCode();
    const organizations = await sessions.organizationsOf(user.id);
    // An owner of nothing but archived organizations was challenged for one of those (see `LoginService`).
    const chosen =
      organizations.find((choice) => choice.org.id === challenge.orgId) ??
      (organizations.length === 0
        ? (await sessions.restorableOf?.(user.id))?.find((choice) => choice.org.id === challenge.orgId)
        : undefined);
    if (!chosen || !(chosen.org.status === 'archived' || live(chosen.org))) throw challengeInvalid();
    if (!(await this.#deps.challenges.spend(hash))) throw challengeInvalid();
    if (!(await this.#spend(user.id, match))) throw invalidCode(); // used meanwhile by another request
    await loginThrottle?.succeeded(user.email);
    const tokens = await sessions.start(user, chosen.org, chosen.role, organizations, { mfa: true });
    await this.#deps.events?.record({
      orgId: chosen.org.id,
      type: 'login.succeeded',
      actor: userActor(user.id),
      target: { type: 'user', id: user.id },
      data: { role: chosen.role, second_factor: match.kind },
    });
    return tokens;
  }

  /**
   * Begins enrolment: a new secret, replacing any enrolment not yet confirmed.
   *
   * @throws ForbiddenError `wrong_password` (403), counted toward the lockout.
   * @throws ConflictError `two_factor_enabled` (409) when it is on already.
   */
  async begin(userId: string, password: string, sourceIp?: string): Promise<Enrolment> {
    const user = await this.#withPassword(userId, password, sourceIp);
    if (TwoFactorService.enabledFor(user)) {
      throw new ConflictError('two_factor_enabled', 'Two-factor authentication is on already; turn it off first to enrol again.');
    }
    const secret = newTotpSecret();
    const next: TwoFactorState = { secret, recoveryCodeHashes: [] };
    if (!(await this.#deps.users.setTwoFactor(user.id, user.twoFactor, next, this.#now()))) throw changed();
    const uri = otpauthUri(secret, this.#deps.issuer, user.email);
    return { secret, otpauthUri: uri, qrCode: qrCodeDataUrl(uri) };
  }

  /**
   * Confirms enrolment with a code from the authenticator; turns two-factor authentication on.
   *
   * @returns the recovery codes, shown this once.
   * @throws ConflictError `two_factor_not_started` or `two_factor_enabled` (409).
   * @throws ForbiddenError `invalid_code` (403), counted toward the lockout.
   */
  async confirm(userId: string, code: string, sourceIp?: string): Promise<string[]> {
    const user = await this.#deps.users.findById(userId);
    if (!user) throw gone();
    const state = user.twoFactor;
    if (!state) throw new ConflictError('two_factor_not_started', 'Begin enrolment first (POST /me/two-factor).');
    if (state.enabledAt) throw new ConflictError('two_factor_enabled', 'Two-factor authentication is on already.');
    await this.#deps.loginThrottle?.attempt(user.email, sourceIp);
    const step = matchTotpStep(state.secret, code, this.#now());
    if (step === null || !(await this.#spend(user.id, { kind: 'totp', step }))) {
      throw new ForbiddenError('invalid_code', 'The code is incorrect or was used already.');
    }
    await this.#deps.loginThrottle?.succeeded(user.email);
    const codes = newRecoveryCodes();
    const recoveryCodeHashes = codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c) ?? c));
    const now = this.#now();
    const enable = () =>
      this.#deps.users.setTwoFactor(user.id, state, { secret: state.secret, enabledAt: now, recoveryCodeHashes }, now);
    if (!(await (this.#deps.audit ? this.#deps.audit.around(user.id, 'two_factor.enabled', enable) : enable()))) {
      throw changed();
    }
    log.info('two-factor authentication enabled', { userId: user.id });
    return codes;
  }

  /**
   * Turns two-factor authentication off (or drops an unconfirmed enrolment).
   *
   * @throws ForbiddenError `wrong_password` or `invalid_code` (403), counted toward the lockout.
   * @throws ConflictError `two_factor_not_enabled` (409).
   */
  async disable(userId: string, password: string, code: string, sourceIp?: string): Promise<void> {
    const user = await this.#withPassword(userId, password, sourceIp);
    const state = user.twoFactor;
    if (!state) throw new ConflictError('two_factor_not_enabled', 'Two-factor authentication is off.');
    if (state.enabledAt) {
      await this.#deps.loginThrottle?.attempt(user.email, sourceIp);
      const match = this.#match(user, code);
      if (!match || !(await this.#spend(user.id, match))) {
        throw new ForbiddenError('invalid_code', 'The code is incorrect or was used already.');
      }
    }
    if (state.enabledAt) await this.#deps.loginThrottle?.succeeded(user.email);
    const disable = () => this.#deps.users.setTwoFactor(user.id, state, undefined, this.#now());
    const audited = state.enabledAt && this.#deps.audit;
    if (!(await (audited ? audited.around(user.id, 'two_factor.disabled', disable) : disable()))) throw changed();
    log.info('two-factor authentication disabled', { userId: user.id });
  }

  /** The user, once `password` is theirs (under the login lockout). */
  async #withPassword(userId: string, password: string, sourceIp?: string): Promise<Admin> {
    const { hasher, loginThrottle } = this.#deps;
    if (!hasher) throw new Error('This two-factor service cannot check passwords');
    const user = await this.#deps.users.findById(userId);
    if (!user) throw gone();
    await loginThrottle?.check(user.email, sourceIp);
    if (!(await hasher.check(password, user.passwordHash)).matched) {
      await loginThrottle?.failed(user.email, sourceIp);
      throw wrongPassword();
    }
    return user;
  }

  /** What `code` is for an enrolled `user`, judged without writing: a TOTP step, a recovery code, or null. */
  #match(user: Admin, code: string): CodeMatch | null {
    const state = user.twoFactor;
    if (!state?.enabledAt) return null;
    if (/^\d{6}$/.test(code)) {
      const step = matchTotpStep(state.secret, code, this.#now());
      return step === null ? null : { kind: 'totp', step };
    }
    const normalized = normalizeRecoveryCode(code);
    if (!normalized) return null;
    const hash = hashRecoveryCode(normalized);
    return state.recoveryCodeHashes.includes(hash) ? { kind: 'recovery', hash, left: state.recoveryCodeHashes.length - 1 } : null;
  }

  /** Spends a matched code: true for the one request that used it first. */
  async #spend(userId: string, match: CodeMatch): Promise<boolean> {
    const now = this.#now();
    if (match.kind === 'totp') {
      return this.#deps.usedCodes.use(`totp:${userId}:${match.step}`, now, new Date(now.getTime() + STEP_MEMORY_MS));
    }
    // The unique key makes the spend single-use on every server; the removal keeps the list true.
    if (
      !(await this.#deps.usedCodes.use(`recovery:${userId}:${match.hash}`, now, new Date(now.getTime() + RECOVERY_MEMORY_MS)))
    ) {
      return false;
    }
    await this.#deps.users.spendRecoveryCode(userId, match.hash, now);
    log.info('recovery code used', { userId, left: match.left });
    return true;
  }
}

/** A code judged correct and not yet spent. */
type CodeMatch =
  | { readonly kind: 'totp'; readonly step: number }
  | { readonly kind: 'recovery'; readonly hash: string; readonly left: number };
