import type { Db, MongoClient } from 'mongodb';
import { once } from '../cache.ts';
import { databaseConfig } from '../config.ts';
import { UnavailableError } from '../errors.ts';
import { log } from '../log.ts';
import { getMongoClient } from '../mongo/client.ts';
import { callDatabase, mapOutage } from '../mongo/errors.ts';
import { isSetUp } from '../mongo/indexes.ts';

/**
 * The container's database, for the composition modules: its one client and the master database.
 * Nothing here creates indexes: the master indexes are made once per deploy by the database setup
 * (compose/setup.ts, the `db-setup` function). What a function checks instead, once per container,
 * is that the setup has run (one read by `_id`, see `isSetUp`).
 */
export interface Database {
  readonly client: MongoClient;
  readonly master: Db;
}

/**
 * The database as this function's configuration describes it (read now: a bad setting fails at cold
 * start), connected on first use; a secret fetch that failed is tried again on the next call (503).
 *
 * Unless `requireSetUp` is false, the first use also checks that the database setup has run for
 * every index this build lists, and until it has every call fails with {@link UnavailableError}
 * `database_not_set_up` (503; the operator is told in the log to run the `db-setup` function): a
 * master database without its unique indexes would let two admins share an email. The authorizer
 * skips the check: its revocation look-ups rely on no unique index, and its wait is bounded.
 */
export function database(options: { requireSetUp?: boolean } = {}): () => Promise<Database> {
  const config = databaseConfig();
  return once(async () => {
    let client: MongoClient;
    try {
      client = await getMongoClient(config);
    } catch (error) {
      throw mapOutage(error);
    }
    const master = client.db(config.masterDb);
    if (options.requireSetUp !== false && !(await callDatabase(() => isSetUp(master)))) {
      log.error('the master database is not set up: invoke the db-setup function (README, Deploying)', {
        database: config.masterDb,
      });
      throw new UnavailableError('The service is not ready yet.', { code: 'database_not_set_up', retryAfterSeconds: 30 });
    }
    return { client, master };
  });
}
