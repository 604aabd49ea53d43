import type { Db } from 'mongodb';
import type { AuthStores } from '../auth/stores.ts';
import { mongoAttemptLog } from './attempt-log.ts';
import { mongoRefreshTokenStore } from './refresh-token-store.ts';
import { mongoRevocationStore } from './revocation-store.ts';

/** The MongoDB adapters for the token lifecycle ports, in the master database: one per file, put together here. */

export { MongoAttemptLog, mongoAttemptLog } from './attempt-log.ts';
export { MongoRefreshTokenStore, mongoRefreshTokenStore } from './refresh-token-store.ts';
export { MongoRevocationStore, mongoRevocationStore } from './revocation-store.ts';

export function mongoAuthStores(db: Db): AuthStores {
  return {
    refreshTokens: mongoRefreshTokenStore(db),
    revocations: mongoRevocationStore(db),
    attempts: mongoAttemptLog(db),
  };
}
