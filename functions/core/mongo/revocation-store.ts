import type { Collection, Db } from 'mongodb';
import type { RevocationStore } from '../auth/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';

/** The MongoDB adapter for revocations (`revocations`): a key per revoked session, token or version. */

export interface RevocationDoc {
  _id: string;
  expiresAt: Date;
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

/** The revocation store alone (the authorizer's only need besides admins), with outages mapped to 503. */
export function mongoRevocationStore(db: Db): RevocationStore {
  return withUnavailableMapping(new MongoRevocationStore(db.collection<RevocationDoc>(MASTER_COLLECTIONS.revocations)));
}
