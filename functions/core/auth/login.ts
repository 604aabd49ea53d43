import type { SecondFactorChallenge, TwoFactorService } from '../account/two-factor.ts';
import { UnauthorizedError } from '../errors.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { PasswordHasher } from './passwords.ts';
import { notAMember, type SessionService, type SessionTokens } from './sessions.ts';
import type { LoginThrottle } from './throttle.ts';

export interface LoginDeps {
  /** The users (see `Admin`). */
  readonly admins: AdminStore;
  readonly hasher: PasswordHasher;
  readonly sessions: Pick<SessionService, 'start' | 'organizationsOf'> & Partial<Pick<SessionService, 'restorableOf'>>;
  readonly throttle?: LoginThrottle;
  /** Issues the challenge of a user with two-factor authentication on. */
  readonly twoFactor?: Pick<TwoFactorService, 'challenge'>;
}

/** What login answers: tokens, or for a user with two-factor authentication on, a challenge. */
export type LoginResult = SessionTokens | SecondFactorChallenge;

/** True when `result` is a challenge (the user must send a code to POST /login/two-factor). */
export function isChallenge(result: LoginResult): result is SecondFactorChallenge {
  return 'challenge' in result;
}

/** Every failure looks the same from outside: one status, one body, one bcrypt comparison. */
const invalid = () => new UnauthorizedError('invalid_credentials', 'The email or password is incorrect.');

export class LoginService {
  readonly #deps: LoginDeps;

  constructor(deps: LoginDeps) {
    this.#deps = deps;
  }

  /**
   * Signs a user in to one of their organizations: `organizationId` when given, else the one they
   * created (while they still belong to it), else the oldest membership. The answer names the
   * organization chosen and lists all of them. A user who belongs to no live organization but owns an
   * archived one they may still restore is signed in to that one (`archived` on the answer).
   *
   * @throws UnauthorizedError `invalid_credentials` (401) for a wrong email or password, or a user
   *   who belongs to no live organization (the same answer, so it tells nothing).
   * @throws ForbiddenError `not_a_member` (403) when the password is right but `organizationId` is
   *   not one of the user's organizations.
   * @throws TooManyRequestsError (429) from the throttle.
   * @returns tokens, or a challenge when the user has two-factor authentication on (the
   *   organization is chosen now; the code completes the login at POST /login/two-factor).
   */
  async login(email: string, password: string, sourceIp?: string, organizationId?: string): Promise<LoginResult> {
    const failures = await this.#deps.throttle?.check(email, sourceIp);
    const admin = await this.#deps.admins.findByEmail(email);
    // The hasher compares against a dummy when there is no user (or the password is over 72 bytes),
    // so every failure costs the same bcrypt work.
    const { matched, rehash } = await this.#deps.hasher.check(password, admin?.passwordHash);
    const organizations = admin && matched ? await this.#deps.sessions.organizationsOf(admin.id) : [];
    // An owner whose organizations are all archived signs in to one of those, to restore it: its tokens
    // let them manage their account and restore it, nothing more (see `Caller.organization`).
    const archived =
      admin && matched && organizations.length === 0 ? ((await this.#deps.sessions.restorableOf?.(admin.id)) ?? []) : [];
    if (!admin || !matched || (organizations.length === 0 && archived.length === 0)) {
      metrics.count('loginFailed');
      await this.#deps.throttle?.failed(email, sourceIp);
      throw invalid();
    }
    // A user with a second factor is not through yet: failures of the code count on, so a known
    // password cannot reset the count between guesses. No failure was live at the check: nothing to clear.
    if (!admin.twoFactor?.enabledAt && failures !== 0) await this.#deps.throttle?.succeeded(email);
    const choices = organizations.length > 0 ? organizations : archived;
    const chosen = organizationId
      ? choices.find((choice) => choice.org.id === organizationId)
      : (choices.find((choice) => choice.org.id === admin.orgId) ?? choices[0]);
    if (!chosen) throw notAMember();
    if (rehash) {
      // The hash predates password preparation (it matched the password as typed) or the configured
      // cost has risen since it was made: replace it while we hold the password.
      await this.#deps.hasher
        .hash(password)
        .then((next) => this.#deps.admins.replaceHash(admin.id, admin.passwordHash, next))
        .catch((error) => log.warn('password rehash failed', { userId: admin.id, ...errorFields(error) }));
    }
    if (admin.twoFactor?.enabledAt) {
      if (!this.#deps.twoFactor) throw new Error('This login service cannot issue two-factor challenges');
      return this.#deps.twoFactor.challenge(admin, chosen.org.id);
    }
    return this.#deps.sessions.start(admin, chosen.org, chosen.role, organizations);
  }
}
