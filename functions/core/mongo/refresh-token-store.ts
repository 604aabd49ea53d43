import { type Collection, type Db, ObjectId } from 'mongodb';
import type { RefreshTokenRecord, RefreshTokenStore } from '../auth/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';

/**
 * The MongoDB adapter for refresh tokens (`refresh_tokens`, by hash) and their spending
 * (`refresh_token_uses`: a token is spent by inserting its hash, which only one caller can win).
 */

export interface RefreshDoc {
  _id: string;
  familyId: string;
  /** The user (the field keeps its first name, from the one-admin model). */
  adminId: ObjectId;
  orgId: ObjectId;
  tokenVersion: number;
  mfa?: boolean;
  createdAt: Date;
  expiresAt: Date;
}

export interface UseDoc {
  _id: string;
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
    const { hash, userId, orgId, ...rest } = record;
    await this.#col.insertOne({ ...rest, _id: hash, adminId: new ObjectId(userId), orgId: new ObjectId(orgId) });
  }

  async find(hash: string, now: Date): Promise<RefreshTokenRecord | null> {
    const doc = await this.#col.findOne({ _id: hash, expiresAt: { $gt: now } });
    if (!doc) return null;
    const { _id, adminId, orgId, ...rest } = doc;
    return { ...rest, hash: _id, userId: adminId.toHexString(), orgId: orgId.toHexString() };
  }

  async markUsed(hash: string, at: Date, expiresAt: Date): Promise<boolean> {
    return insertUnique(this.#uses, { _id: hash, at, expiresAt });
  }

  async removeByOrg(orgId: string): Promise<void> {
    await this.#col.deleteMany({ orgId: new ObjectId(orgId) });
  }
}

/** The refresh token store on `db`'s collections, with outages mapped to 503. */
export function mongoRefreshTokenStore(db: Db): RefreshTokenStore {
  return withUnavailableMapping(
    new MongoRefreshTokenStore(
      db.collection<RefreshDoc>(MASTER_COLLECTIONS.refreshTokens),
      db.collection<UseDoc>(MASTER_COLLECTIONS.refreshTokenUses),
    ),
  );
}
