import { type Collection, type Db, ObjectId } from 'mongodb';
import type { Admin } from '../orgs/model.ts';
import type { AdminStore, CredentialChanges } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/** The MongoDB adapter for admins (`admins` in the master database): unique email, token version. */

export interface AdminDoc {
  _id: ObjectId;
  email: string;
  passwordHash: string;
  orgId: ObjectId;
  tokenVersion?: number;
  createdAt: Date;
  updatedAt: Date;
}

function toAdmin(doc: AdminDoc): Admin {
  const { _id, orgId, tokenVersion, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), orgId: orgId.toHexString(), tokenVersion: tokenVersion ?? 0 };
}

export class MongoAdminStore implements AdminStore {
  readonly #col: Collection<AdminDoc>;

  constructor(col: Collection<AdminDoc>) {
    this.#col = col;
  }

  async insert(admin: Admin): Promise<'ok' | 'email_taken'> {
    const { id, orgId, ...rest } = admin;
    return (await insertUnique(this.#col, { ...rest, _id: new ObjectId(id), orgId: new ObjectId(orgId) })) ? 'ok' : 'email_taken';
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

  async updateCredentials(id: string, changes: CredentialChanges, at: Date): Promise<'ok' | 'email_taken' | 'missing'> {
    const _id = oid(id);
    if (!_id) return 'missing';
    try {
      const result = await this.#col.updateOne({ _id }, { $set: { ...changes, updatedAt: at }, $inc: { tokenVersion: 1 } });
      return result.matchedCount === 0 ? 'missing' : 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'email_taken';
      throw error;
    }
  }

  async replaceHash(id: string, previous: string, next: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id, passwordHash: previous }, { $set: { passwordHash: next } });
  }

  async bumpTokenVersion(id: string, at: Date): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id }, { $inc: { tokenVersion: 1 }, $set: { updatedAt: at } });
  }

  async removeByOrg(orgId: string): Promise<void> {
    await this.#col.deleteMany({ orgId: new ObjectId(orgId) });
  }
}

/** The admin store on `db`'s `admins` collection, with outages mapped to 503. */
export function mongoAdminStore(db: Db): AdminStore {
  return withUnavailableMapping(new MongoAdminStore(db.collection<AdminDoc>(MASTER_COLLECTIONS.admins)));
}
