import { UnauthorizedError } from '../errors.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import type { PasswordHasher } from './passwords.ts';
import type { SessionService, SessionTokens } from './sessions.ts';
import type { LoginThrottle } from './throttle.ts';

export interface LoginDeps {
  readonly admins: AdminStore;
  readonly orgs: OrganizationStore;
  readonly hasher: PasswordHasher;
  readonly sessions: Pick<SessionService, 'start'>;
  readonly throttle?: LoginThrottle;
}

/** Every failure looks the same from outside: one status, one body, one bcrypt comparison. */
const invalid = () => new UnauthorizedError('invalid_credentials', 'The email or password is incorrect.');

export class LoginService {
  readonly #deps: LoginDeps;

  constructor(deps: LoginDeps) {
    this.#deps = deps;
  }

  async login(email: string, password: string, sourceIp?: string): Promise<SessionTokens> {
    await this.#deps.throttle?.check(email, sourceIp);
    const admin = await this.#deps.admins.findByEmail(email);
    // The hasher compares against a dummy when there is no admin (or the password is over 72 bytes),
    // so every failure costs the same bcrypt work.
    const { matched, rehash } = await this.#deps.hasher.check(password, admin?.passwordHash);
    const org = admin && matched ? await this.#deps.orgs.findById(admin.orgId) : null;
    if (!admin || !matched || !org || (org.status !== 'active' && org.status !== 'renaming' && org.status !== 'moving')) {
      metrics.count('loginFailed');
      await this.#deps.throttle?.failed(email, sourceIp);
      throw invalid();
    }
    await this.#deps.throttle?.succeeded(email);
    if (rehash) {
      // The hash predates password preparation (it matched the password as typed) or the configured
      // cost has risen since it was made: replace it while we hold the password.
      await this.#deps.hasher
        .hash(password)
        .then((next) => this.#deps.admins.replaceHash(admin.id, admin.passwordHash, next))
        .catch((error) => log.warn('password rehash failed', { adminId: admin.id, ...errorFields(error) }));
    }
    return this.#deps.sessions.start(admin, org);
  }
}
