import { organizations } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';

/**
 * Runs on a schedule: finishes or undoes every create, rename and delete whose run died midway (its
 * lease has passed), and frees name reservations nobody uses. Safe to run often and concurrently.
 */

const service = organizations();

export const handler = async (): Promise<{ settled: number; namesFreed: number }> => {
  try {
    const result = await (await service()).reconcile();
    log.info('reconciled', result);
    return result;
  } catch (error) {
    log.error('reconcile failed', errorFields(error));
    throw error;
  }
};
