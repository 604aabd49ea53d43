import { type Collection, type Db, ObjectId } from 'mongodb';
import type { Admin, TwoFactorState } from '../orgs/model.ts';
import type { AdminStore } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { idIn, isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/** The MongoDB adapter for admins (`admins` in the master database): unique email, token version. */

export interface AdminDoc {
  _id: ObjectId;
  email: string;
  passwordHash: string;
  /** The organization the user created; absent for users who joined by invitation. */
  orgId?: ObjectId;
  tokenVersion?: number;
  /**
   * The document's shape (MongoDB's schema versioning pattern): absent on documents written before
   * memberships, whose `orgId` was their only organization; 2 once that organization's owner
   * membership exists (see `migrations.ts`).
   */
  schemaVersion?: 2;
  emailVerifiedAt?: Date;
  pendingEmail?: string;
  twoFactor?: TwoFactorState;
  createdAt: Date;
  updatedAt: Date;
}

function toAdmin(doc: AdminDoc): Admin {
  const { _id, orgId, tokenVersion, schemaVersion: _version, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), ...(orgId ? { orgId: orgId.toHexString() } : {}), tokenVersion: tokenVersion ?? 0 };
}

export class MongoAdminStore implements AdminStore {
  readonly #col: Collection<AdminDoc>;

  constructor(col: Collection<AdminDoc>) {
    this.#col = col;
  }

  async insert(admin: Admin): Promise<'ok' | 'email_taken'> {
    const { id, orgId, ...rest } = admin;
    const doc: AdminDoc = { ...rest, _id: new ObjectId(id), schemaVersion: 2, ...(orgId ? { orgId: new ObjectId(orgId) } : {}) };
    return (await insertUnique(this.#col, doc)) ? 'ok' : 'email_taken';
  }

  async findById(id: string): Promise<Admin | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toAdmin(doc) : null;
  }

  async findByEmail(email: string): Promise<Admin | null> {
    const doc = await this.#col.findOne({ email });
    return doc ? toAdmin(doc) : null;
  }

  async replaceHash(id: string, previous: string, next: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id, passwordHash: previous }, { $set: { passwordHash: next } });
  }

  async bumpTokenVersion(id: string, at: Date): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id }, { $inc: { tokenVersion: 1 }, $set: { updatedAt: at } });
  }

  async resetPassword(id: string, previousHash: string, nextHash: string, at: Date): Promise<'ok' | 'stale'> {
    const _id = oid(id);
    if (!_id) return 'stale';
    const result = await this.#col.updateOne(
      { _id, passwordHash: previousHash },
      { $set: { passwordHash: nextHash, updatedAt: at }, $inc: { tokenVersion: 1 }, $unset: { pendingEmail: '' } },
    );
    return result.matchedCount === 1 ? 'ok' : 'stale';
  }

  async markEmailVerified(id: string, email: string, at: Date): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id, email }, { $set: { emailVerifiedAt: at, updatedAt: at } });
  }

  async setPendingEmail(id: string, email: string | undefined, at: Date): Promise<void> {
    const _id = oid(id);
    if (!_id) return;
    await this.#col.updateOne(
      { _id },
      email === undefined
        ? { $unset: { pendingEmail: '' }, $set: { updatedAt: at } }
        : { $set: { pendingEmail: email, updatedAt: at } },
    );
  }

  async changeEmail(id: string, from: string, to: string, at: Date): Promise<'ok' | 'email_taken' | 'stale'> {
    const _id = oid(id);
    if (!_id) return 'stale';
    try {
      const result = await this.#col.updateOne(
        { _id, email: from, pendingEmail: to },
        { $set: { email: to, emailVerifiedAt: at, updatedAt: at }, $unset: { pendingEmail: '' } },
      );
      return result.matchedCount === 1 ? 'ok' : 'stale';
    } catch (error) {
      if (isDuplicateKey(error)) return 'email_taken';
      throw error;
    }
  }

  async setTwoFactor(
    id: string,
    expected: TwoFactorState | undefined,
    next: TwoFactorState | undefined,
    at: Date,
  ): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const filter =
      expected === undefined
        ? { _id, twoFactor: { $exists: false } }
        : {
            _id,
            'twoFactor.secret': expected.secret,
            'twoFactor.enabledAt': expected.enabledAt ?? { $exists: false },
          };
    const result = await this.#col.updateOne(
      filter,
      next === undefined ? { $unset: { twoFactor: '' }, $set: { updatedAt: at } } : { $set: { twoFactor: next, updatedAt: at } },
    );
    return result.matchedCount === 1;
  }

  async spendRecoveryCode(id: string, codeHash: string, at: Date): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#col.updateOne(
      { _id, 'twoFactor.recoveryCodeHashes': codeHash },
      { $pull: { 'twoFactor.recoveryCodeHashes': codeHash }, $set: { updatedAt: at } },
    );
    return result.modifiedCount === 1;
  }

  async listIdsByOrg(orgId: string): Promise<string[]> {
    const org = oid(orgId);
    if (!org) return [];
    const docs = await this.#col.find({ orgId: org }, { projection: { _id: 1 } }).toArray();
    return docs.map((doc) => doc._id.toHexString());
  }

  async findMany(ids: readonly string[]): Promise<Admin[]> {
    const _ids = ids.map(oid).filter((id): id is ObjectId => id !== null);
    if (_ids.length === 0) return [];
    return (await this.#col.find(idIn(_ids)).toArray()).map(toAdmin);
  }

  async removeMany(ids: readonly string[]): Promise<void> {
    const _ids = ids.map(oid).filter((id): id is ObjectId => id !== null);
    if (_ids.length > 0) await this.#col.deleteMany({ _id: { $in: _ids } });
  }
}

/** The admin store on `db`'s `admins` collection, with outages mapped to 503. */
export function mongoAdminStore(db: Db): AdminStore {
  return withUnavailableMapping(new MongoAdminStore(db.collection<AdminDoc>(MASTER_COLLECTIONS.admins)));
}
