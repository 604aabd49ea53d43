import { type DatabaseSetupResult, databaseSetup } from '#core/compose/setup.ts';
import { errorFields, log } from '#core/log.ts';

/**
 * Runs at deploy time, from the stack's trigger (and by hand after the database secret is first
 * filled): creates every master index. Idempotent; a failure fails the deployment, so the routes
 * never run on a database without its indexes. Until the secret holds a connection string it does
 * nothing and says so, so that the first deploy, which creates the secret empty, can finish.
 */

const setup = databaseSetup();

export const handler = async (): Promise<DatabaseSetupResult> => {
  try {
    const result = await setup();
    if (result.status === 'skipped') {
      log.warn('database setup skipped; invoke this function once the secret is filled', { reason: result.reason });
    } else {
      log.info('database set up', {
        database: result.database,
        indexes: result.created.join(','),
        unsupported: result.unsupported.join(','),
      });
    }
    return result;
  } catch (error) {
    log.error('database setup failed', errorFields(error));
    throw error;
  }
};
