import type { Admin, TwoFactorState } from '#core/orgs/model.ts';
import type { AdminStore } from '#core/orgs/stores.ts';
import { copy, isObjectId } from './copy.ts';

/**
 * An in-memory {@link AdminStore} with the semantics of `MongoAdminStore`: a unique email (on insert
 * and on a change of address), a password reset bumps the token version, `replaceHash` and
 * `resetPassword` apply only over the expected previous hash, removals are idempotent.
 */
export class FakeAdminStore implements AdminStore {
  readonly #admins = new Map<string, Admin>();

  #emailHeldByOther(email: string, id: string): boolean {
    return [...this.#admins.values()].some((admin) => admin.email === email && admin.id !== id);
  }

  async insert(admin: Admin): Promise<'ok' | 'email_taken'> {
    if (this.#admins.has(admin.id) || this.#emailHeldByOther(admin.email, admin.id)) return 'email_taken';
    this.#admins.set(admin.id, copy(admin));
    return 'ok';
  }

  async findById(id: string): Promise<Admin | null> {
    if (!isObjectId(id)) return null;
    const admin = this.#admins.get(id);
    return admin ? copy(admin) : null;
  }

  async findByEmail(email: string): Promise<Admin | null> {
    const admin = [...this.#admins.values()].find((a) => a.email === email);
    return admin ? copy(admin) : null;
  }

  async replaceHash(id: string, previous: string, next: string): Promise<void> {
    const admin = this.#admins.get(id);
    if (admin?.passwordHash === previous) this.#admins.set(id, { ...admin, passwordHash: next });
  }

  async bumpTokenVersion(id: string, at: Date): Promise<void> {
    const admin = this.#admins.get(id);
    if (admin) this.#admins.set(id, { ...admin, tokenVersion: admin.tokenVersion + 1, updatedAt: new Date(at) });
  }

  async resetPassword(id: string, previousHash: string, nextHash: string, at: Date): Promise<'ok' | 'stale'> {
    const admin = this.#admins.get(id);
    if (admin?.passwordHash !== previousHash) return 'stale';
    const { pendingEmail: _dropped, ...rest } = admin;
    this.#admins.set(id, { ...rest, passwordHash: nextHash, tokenVersion: admin.tokenVersion + 1, updatedAt: new Date(at) });
    return 'ok';
  }

  async markEmailVerified(id: string, email: string, at: Date): Promise<void> {
    const admin = this.#admins.get(id);
    if (admin?.email === email) this.#admins.set(id, { ...admin, emailVerifiedAt: new Date(at), updatedAt: new Date(at) });
  }

  async setPendingEmail(id: string, email: string | undefined, at: Date): Promise<void> {
    const admin = this.#admins.get(id);
    if (!admin) return;
    const { pendingEmail: _previous, ...rest } = admin;
    this.#admins.set(id, { ...rest, ...(email === undefined ? {} : { pendingEmail: email }), updatedAt: new Date(at) });
  }

  async changeEmail(id: string, from: string, to: string, at: Date): Promise<'ok' | 'email_taken' | 'stale'> {
    const admin = this.#admins.get(id);
    if (admin?.email !== from || admin.pendingEmail !== to) return 'stale';
    if (this.#emailHeldByOther(to, id)) return 'email_taken';
    const { pendingEmail: _done, ...rest } = admin;
    this.#admins.set(id, { ...rest, email: to, emailVerifiedAt: new Date(at), updatedAt: new Date(at) });
    return 'ok';
  }

  async setTwoFactor(
    id: string,
    expected: TwoFactorState | undefined,
    next: TwoFactorState | undefined,
    at: Date,
  ): Promise<boolean> {
    const admin = this.#admins.get(id);
    if (!admin) return false;
    const current = admin.twoFactor;
    const same =
      expected === undefined
        ? current === undefined
        : current?.secret === expected.secret && current.enabledAt?.getTime() === expected.enabledAt?.getTime();
    if (!same) return false;
    const { twoFactor: _old, ...rest } = admin;
    this.#admins.set(id, { ...rest, ...(next ? { twoFactor: copy(next) } : {}), updatedAt: new Date(at) });
    return true;
  }

  async spendRecoveryCode(id: string, codeHash: string, at: Date): Promise<boolean> {
    const admin = this.#admins.get(id);
    const hashes = admin?.twoFactor?.recoveryCodeHashes;
    if (!admin?.twoFactor || !hashes?.includes(codeHash)) return false;
    const twoFactor = { ...admin.twoFactor, recoveryCodeHashes: hashes.filter((hash) => hash !== codeHash) };
    this.#admins.set(id, { ...admin, twoFactor, updatedAt: new Date(at) });
    return true;
  }

  async listIdsByOrg(orgId: string): Promise<string[]> {
    return [...this.#admins.values()].filter((admin) => admin.orgId === orgId).map((admin) => admin.id);
  }

  async findMany(ids: readonly string[]): Promise<Admin[]> {
    return ids.flatMap((id) => {
      const admin = this.#admins.get(id);
      return admin ? [copy(admin)] : [];
    });
  }

  async removeMany(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#admins.delete(id);
  }

  /** Every admin, for assertions. */
  all(): Admin[] {
    return [...this.#admins.values()].map(copy);
  }
}
