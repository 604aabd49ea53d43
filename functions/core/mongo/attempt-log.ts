import type { Collection, Db, ObjectId } from 'mongodb';
import type { AttemptLog } from '../auth/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';

/** The MongoDB adapter for failed logins (`login_failures`), counted per email and per source address. */

export interface AttemptDoc {
  _id?: ObjectId;
  key: string;
  at: Date;
  expiresAt: Date;
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

/** The failed-login log on `db`'s `login_failures` collection, with outages mapped to 503. */
export function mongoAttemptLog(db: Db): AttemptLog {
  return withUnavailableMapping(new MongoAttemptLog(db.collection<AttemptDoc>(MASTER_COLLECTIONS.loginFailures)));
}
