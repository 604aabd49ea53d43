import { UnauthorizedError } from '../errors.ts';
import type { Organization } from '../orgs/model.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import { type PasswordHasher, passwordTooLong } from './passwords.ts';
import type { IssuedToken, TokenSigner } from './tokens.ts';

export interface LoginDeps {
  readonly admins: AdminStore;
  readonly orgs: OrganizationStore;
  readonly hasher: PasswordHasher;
  readonly signer: TokenSigner;
}

export interface LoginResult extends IssuedToken {
  readonly org: Organization;
}

/** Every failure looks the same from outside: one status, one body, one bcrypt comparison. */
const invalid = () => new UnauthorizedError('invalid_credentials', 'The email or password is incorrect.');

export class LoginService {
  readonly #deps: LoginDeps;

  constructor(deps: LoginDeps) {
    this.#deps = deps;
  }

  async login(email: string, password: string): Promise<LoginResult> {
    const admin = await this.#deps.admins.findByEmail(email);
    // bcrypt ignores bytes past 72, so a longer password could match a stored 72-byte one: refuse it,
    // after the same comparison as any other failure.
    const hash = passwordTooLong(password) ? undefined : admin?.passwordHash;
    const matched = await this.#deps.hasher.verify(password, hash);
    if (!admin || !matched) throw invalid();
    const org = await this.#deps.orgs.findById(admin.orgId);
    if (!org || (org.status !== 'active' && org.status !== 'renaming')) throw invalid();
    const issued = await this.#deps.signer.sign({ adminId: admin.id, orgId: org.id });
    return { ...issued, org };
  }
}
