import { databaseConfig } from '../config.ts';
import { getMongoClient } from '../mongo/client.ts';
import { callDatabase, mapOutage } from '../mongo/errors.ts';
import { createMasterIndexes, type MasterIndexReport } from '../mongo/indexes.ts';
import { type MigrationReport, migrateAdminsToMembers } from '../mongo/migrations.ts';

/**
 * The one-time database setup: the master database's indexes, then its data migrations
 * (`migrations.ts`). It runs at deploy time (the `db-setup`
 * function, run by the stack's trigger), when the local API starts and before the tests; request
 * paths never create indexes.
 */

export type DatabaseSetupResult =
  | ({ readonly status: 'done'; readonly database: string } & MasterIndexReport & MigrationReport)
  | { readonly status: 'skipped'; readonly reason: string };

/** The database secret exists but holds no value yet (the first deploy creates it empty). */
function secretNotFilled(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/**
 * The setup on the database this process's configuration names (read now, so a bad setting fails
 * at once), over the container's client.
 *
 * @example
 * const setup = databaseSetup();
 * console.log(await setup()); // { status: 'done', database: 'orgs_master', created: [...], unsupported: [] }
 */
export function databaseSetup(): () => Promise<DatabaseSetupResult> {
  const config = databaseConfig();
  return async () => {
    let client: Awaited<ReturnType<typeof getMongoClient>>;
    try {
      client = await getMongoClient(config);
    } catch (error) {
      if (secretNotFilled(error)) {
        return { status: 'skipped', reason: 'the database secret holds no connection string yet' };
      }
      throw mapOutage(error);
    }
    const master = client.db(config.masterDb);
    const report = await callDatabase(() => createMasterIndexes(master));
    const migrated = await callDatabase(() => migrateAdminsToMembers(master));
    return { status: 'done', database: config.masterDb, ...report, ...migrated };
  };
}
