import { type Collection, type Db, ObjectId } from 'mongodb';
import type {
  AccountStores,
  AccountToken,
  AccountTokenPurpose,
  AccountTokenStore,
  LoginChallenge,
  LoginChallengeStore,
  UsedCodeLog,
} from '../account/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';

/**
 * The MongoDB adapters for account security, in the master database: one-time links
 * (`account_tokens`, by the secret's hash), login challenges (`login_challenges`, by hash) and used
 * one-time codes (`used_codes`, by key). Spending is a delete by `_id` (or an insert under `_id`),
 * which exactly one of any number of concurrent callers wins on every server.
 */

interface AccountTokenDoc extends Omit<AccountToken, 'hash' | 'userId'> {
  _id: string;
  userId?: ObjectId;
}

interface ChallengeDoc extends Omit<LoginChallenge, 'hash' | 'userId' | 'orgId'> {
  _id: string;
  userId: ObjectId;
  orgId: ObjectId;
}

interface UsedCodeDoc {
  _id: string;
  at: Date;
  expiresAt: Date;
}

export class MongoAccountTokenStore implements AccountTokenStore {
  readonly #col: Collection<AccountTokenDoc>;

  constructor(col: Collection<AccountTokenDoc>) {
    this.#col = col;
  }

  async insert(token: AccountToken): Promise<void> {
    const { hash, userId, ...rest } = token;
    await this.#col.insertOne({ ...rest, _id: hash, ...(userId ? { userId: new ObjectId(userId) } : {}) });
  }

  async find(hash: string, purposes: readonly AccountTokenPurpose[], now: Date): Promise<AccountToken | null> {
    const doc = await this.#col.findOne({ _id: hash, purpose: { $in: [...purposes] }, expiresAt: { $gt: now } });
    if (!doc) return null;
    const { _id, userId, ...rest } = doc;
    return { ...rest, hash: _id, ...(userId ? { userId: userId.toHexString() } : {}) };
  }

  async spend(hash: string): Promise<boolean> {
    return (await this.#col.deleteOne({ _id: hash })).deletedCount === 1;
  }
}

export class MongoLoginChallengeStore implements LoginChallengeStore {
  readonly #col: Collection<ChallengeDoc>;

  constructor(col: Collection<ChallengeDoc>) {
    this.#col = col;
  }

  async insert(challenge: LoginChallenge): Promise<void> {
    const { hash, userId, orgId, ...rest } = challenge;
    await this.#col.insertOne({ ...rest, _id: hash, userId: new ObjectId(userId), orgId: new ObjectId(orgId) });
  }

  async find(hash: string, now: Date): Promise<LoginChallenge | null> {
    const doc = await this.#col.findOne({ _id: hash, expiresAt: { $gt: now } });
    if (!doc) return null;
    const { _id, userId, orgId, ...rest } = doc;
    return { ...rest, hash: _id, userId: userId.toHexString(), orgId: orgId.toHexString() };
  }

  async spend(hash: string): Promise<boolean> {
    return (await this.#col.deleteOne({ _id: hash })).deletedCount === 1;
  }
}

export class MongoUsedCodeLog implements UsedCodeLog {
  readonly #col: Collection<UsedCodeDoc>;

  constructor(col: Collection<UsedCodeDoc>) {
    this.#col = col;
  }

  use(key: string, at: Date, expiresAt: Date): Promise<boolean> {
    return insertUnique(this.#col, { _id: key, at, expiresAt });
  }
}

/** The account security stores on `db`'s collections, with outages mapped to 503. */
export function mongoAccountStores(db: Db): AccountStores {
  return {
    accountTokens: withUnavailableMapping(new MongoAccountTokenStore(db.collection(MASTER_COLLECTIONS.accountTokens))),
    loginChallenges: withUnavailableMapping(new MongoLoginChallengeStore(db.collection(MASTER_COLLECTIONS.loginChallenges))),
    usedCodes: withUnavailableMapping(new MongoUsedCodeLog(db.collection(MASTER_COLLECTIONS.usedCodes))),
  };
}
