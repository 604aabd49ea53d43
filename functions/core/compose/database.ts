import type { Db, MongoClient } from 'mongodb';
import { once } from '../cache.ts';
import { databaseConfig } from '../config.ts';
import { getMongoClient } from '../mongo/client.ts';
import { afterSetup, callDatabase, mapOutage } from '../mongo/errors.ts';
import { ensureMasterIndexes } from '../mongo/indexes.ts';

/**
 * The container's database, for the composition modules: its one client and the master database,
 * and `gate`, which makes a group of stores wait for the master indexes before their first call.
 * Building stores on it costs no round trip.
 */
export interface Database {
  readonly client: MongoClient;
  readonly master: Db;
  /** Wraps stores so that each call first ensures the master indexes (once per container). */
  gate<T extends object>(stores: T): T;
}

/**
 * The database as this function's configuration describes it (read now: a bad setting fails at cold
 * start), connected on first use; a secret fetch that failed is tried again on the next call (503).
 */
export function database(): () => Promise<Database> {
  const config = databaseConfig();
  return once(async () => {
    try {
      const client = await getMongoClient(config);
      // Indexes are ensured before the first store call, not here: building the stores costs no
      // round trip, so the authorizer's bounded revocation look-up is the only wait it has.
      const indexes = once(() => callDatabase(() => ensureMasterIndexes(client, config.masterDb)));
      return { client, master: client.db(config.masterDb), gate: (stores) => afterSetup(stores, indexes) };
    } catch (error) {
      throw mapOutage(error);
    }
  });
}
