import { type Collection, type Db, ObjectId } from 'mongodb';
import type { AttemptLog, AuthStores, RefreshTokenRecord, RefreshTokenStore, RevocationStore } from '../auth/stores.ts';
import { isDuplicateKey, withUnavailableMapping } from './errors.ts';

/** MongoDB adapters for the token lifecycle ports, in the master database. */

interface RefreshDoc {
  _id: string;
  familyId: string;
  adminId: ObjectId;
  orgId: ObjectId;
  tokenVersion: number;
  createdAt: Date;
  expiresAt: Date;
}

interface UseDoc {
  _id: string;
  at: Date;
  expiresAt: Date;
}

interface RevocationDoc {
  _id: string;
  expiresAt: Date;
}

interface AttemptDoc {
  _id?: ObjectId;
  key: string;
  at: Date;
  expiresAt: Date;
}

export class MongoRefreshTokenStore implements RefreshTokenStore {
  readonly #col: Collection<RefreshDoc>;
  readonly #uses: Collection<UseDoc>;

  constructor(col: Collection<RefreshDoc>, uses: Collection<UseDoc>) {
    this.#col = col;
    this.#uses = uses;
  }

  async insert(record: RefreshTokenRecord): Promise<void> {
    const { hash, adminId, orgId, ...rest } = record;
    await this.#col.insertOne({ ...rest, _id: hash, adminId: new ObjectId(adminId), orgId: new ObjectId(orgId) });
  }

  async find(hash: string, now: Date): Promise<RefreshTokenRecord | null> {
    const doc = await this.#col.findOne({ _id: hash, expiresAt: { $gt: now } });
    if (!doc) return null;
    const { _id, adminId, orgId, ...rest } = doc;
    return { ...rest, hash: _id, adminId: adminId.toHexString(), orgId: orgId.toHexString() };
  }

  async markUsed(hash: string, at: Date, expiresAt: Date): Promise<boolean> {
    try {
      await this.#uses.insertOne({ _id: hash, at, expiresAt });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async removeByOrg(orgId: string): Promise<void> {
    await this.#col.deleteMany({ orgId: new ObjectId(orgId) });
  }
}

export class MongoRevocationStore implements RevocationStore {
  readonly #col: Collection<RevocationDoc>;

  constructor(col: Collection<RevocationDoc>) {
    this.#col = col;
  }

  async revoke(key: string, expiresAt: Date): Promise<void> {
    try {
      await this.#col.updateOne({ _id: key }, { $max: { expiresAt } }, { upsert: true });
    } catch (error) {
      // Two concurrent upserts of one key: the loser's insert collides; the document exists now.
      if (!isDuplicateKey(error)) throw error;
      await this.#col.updateOne({ _id: key }, { $max: { expiresAt } });
    }
  }

  async revoked(keys: readonly string[], now: Date): Promise<string[]> {
    if (keys.length === 0) return [];
    const docs = await this.#col.find({ _id: { $in: [...keys] }, expiresAt: { $gt: now } }, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }
}

export class MongoAttemptLog implements AttemptLog {
  readonly #col: Collection<AttemptDoc>;

  constructor(col: Collection<AttemptDoc>) {
    this.#col = col;
  }

  async record(key: string, at: Date, expiresAt: Date): Promise<void> {
    await this.#col.insertOne({ key, at, expiresAt });
  }

  async latest(key: string, now: Date, limit: number): Promise<Date[]> {
    const docs = await this.#col
      .find({ key, expiresAt: { $gt: now } }, { projection: { expiresAt: 1 } })
      .sort({ expiresAt: -1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => d.expiresAt);
  }

  async clear(key: string): Promise<void> {
    await this.#col.deleteMany({ key });
  }
}

export function refreshTokenStore(db: Db): MongoRefreshTokenStore {
  return new MongoRefreshTokenStore(db.collection<RefreshDoc>('refresh_tokens'), db.collection<UseDoc>('refresh_token_uses'));
}

/** The revocation store alone (the authorizer's only need besides admins), with outages mapped to 503. */
export function mongoRevocationStore(db: Db): RevocationStore {
  return withUnavailableMapping(new MongoRevocationStore(db.collection<RevocationDoc>('revocations')));
}

export function mongoAuthStores(db: Db): AuthStores {
  return {
    refreshTokens: withUnavailableMapping(refreshTokenStore(db)),
    revocations: mongoRevocationStore(db),
    attempts: withUnavailableMapping(new MongoAttemptLog(db.collection<AttemptDoc>('login_failures'))),
  };
}
