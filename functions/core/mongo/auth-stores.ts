import { type Collection, type Db, ObjectId } from 'mongodb';
import type {
  AuthStores,
  Counter,
  CounterStore,
  RefreshTokenRecord,
  RefreshTokenStore,
  RevocationStore,
} from '../auth/stores.ts';
import { hasCode, isDuplicateKey, withUnavailableMapping } from './errors.ts';

/** MongoDB adapters for the token lifecycle ports, in the master database. */

interface RefreshDoc {
  _id: string;
  familyId: string;
  adminId: ObjectId;
  orgId: ObjectId;
  tokenVersion: number;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date;
}

interface RevocationDoc {
  _id: string;
  expiresAt: Date;
}

interface CounterDoc {
  _id: string;
  count: number;
  expiresAt: Date;
}

export class MongoRefreshTokenStore implements RefreshTokenStore {
  readonly #col: Collection<RefreshDoc>;

  constructor(col: Collection<RefreshDoc>) {
    this.#col = col;
  }

  async insert(record: RefreshTokenRecord): Promise<void> {
    const { hash, adminId, orgId, usedAt, ...rest } = record;
    await this.#col.insertOne({ ...rest, _id: hash, adminId: new ObjectId(adminId), orgId: new ObjectId(orgId) });
  }

  async find(hash: string, now: Date): Promise<RefreshTokenRecord | null> {
    const doc = await this.#col.findOne({ _id: hash, expiresAt: { $gt: now } });
    if (!doc) return null;
    const { _id, adminId, orgId, ...rest } = doc;
    return { ...rest, hash: _id, adminId: adminId.toHexString(), orgId: orgId.toHexString() };
  }

  async markUsed(hash: string, at: Date): Promise<boolean> {
    const result = await this.#col.updateOne({ _id: hash, usedAt: { $exists: false } }, { $set: { usedAt: at } });
    return result.modifiedCount === 1;
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
    await this.#col.updateOne({ _id: key }, { $max: { expiresAt } }, { upsert: true });
  }

  async revoked(keys: readonly string[], now: Date): Promise<string[]> {
    if (keys.length === 0) return [];
    const docs = await this.#col.find({ _id: { $in: [...keys] }, expiresAt: { $gt: now } }, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }
}

export class MongoCounterStore implements CounterStore {
  readonly #col: Collection<CounterDoc>;

  constructor(col: Collection<CounterDoc>) {
    this.#col = col;
  }

  async get(key: string, now: Date): Promise<Counter | null> {
    const doc = await this.#col.findOne({ _id: key, expiresAt: { $gt: now } });
    return doc ? { count: doc.count, resetAt: doc.expiresAt } : null;
  }

  /**
   * Adds one to the live window, or starts a new window when there is none. Each branch is a single
   * conditional write, so concurrent increments from several containers are never lost.
   */
  async increment(key: string, now: Date, windowMs: number): Promise<Counter> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const live = await this.#col.findOneAndUpdate(
        { _id: key, expiresAt: { $gt: now } },
        { $inc: { count: 1 } },
        { returnDocument: 'after' },
      );
      if (live) return { count: live.count, resetAt: live.expiresAt };
      const fresh = { count: 1, expiresAt: new Date(now.getTime() + windowMs) };
      const restarted = await this.#col.updateOne({ _id: key, expiresAt: { $lte: now } }, { $set: fresh });
      if (restarted.modifiedCount === 1) return { count: 1, resetAt: fresh.expiresAt };
      try {
        await this.#col.insertOne({ _id: key, ...fresh });
        return { count: 1, resetAt: fresh.expiresAt };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // another container started the window: count in it
      }
    }
    throw new Error(`counter ${key} is too contended`);
  }

  async reset(key: string): Promise<void> {
    await this.#col.deleteOne({ _id: key });
  }
}

/** Expires documents by `expiresAt` where the server supports TTL indexes; queries filter anyway. */
async function ttlIndex(db: Db, collection: string): Promise<void> {
  try {
    await db.collection(collection).createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expires' });
  } catch (error) {
    if (!hasCode(error, 238)) throw error; // no TTL indexes on this server (FerretDB)
  }
}

export async function ensureAuthIndexes(db: Db): Promise<void> {
  await Promise.all([
    ttlIndex(db, 'refresh_tokens'),
    db.collection('refresh_tokens').createIndex({ orgId: 1 }, { name: 'org' }),
    ttlIndex(db, 'revocations'),
    ttlIndex(db, 'login_counters'),
  ]);
}

export function mongoAuthStores(db: Db): AuthStores {
  return {
    refreshTokens: withUnavailableMapping(new MongoRefreshTokenStore(db.collection<RefreshDoc>('refresh_tokens'))),
    revocations: withUnavailableMapping(new MongoRevocationStore(db.collection<RevocationDoc>('revocations'))),
    counters: withUnavailableMapping(new MongoCounterStore(db.collection<CounterDoc>('login_counters'))),
  };
}
