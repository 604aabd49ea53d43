import type { Db, MongoClient } from 'mongodb';
import { once } from '../cache.ts';
import { databaseConfig } from '../config.ts';
import { getMongoClient } from '../mongo/client.ts';
import { mapOutage } from '../mongo/errors.ts';

/**
 * The container's database, for the composition modules: its one client and the master database.
 * Building stores on it costs no round trip, and nothing here creates indexes: the master indexes
 * are made once per deploy by the database setup (compose/setup.ts, the `db-setup` function).
 */
export interface Database {
  readonly client: MongoClient;
  readonly master: Db;
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
      return { client, master: client.db(config.masterDb) };
    } catch (error) {
      throw mapOutage(error);
    }
  });
}
