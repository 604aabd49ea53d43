import { organizations } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';
import type { OrganizationService } from '#core/orgs/service.ts';

/**
 * Runs on a schedule: finishes or undoes every create, rename and delete whose run died midway (its
 * lease has passed), and frees name reservations nobody uses. Safe to run often and concurrently.
 */

const service = organizations();

export const handler = async (): Promise<Awaited<ReturnType<OrganizationService['reconcile']>>> => {
  try {
    const result = await (await service()).reconcile();
    log.info('reconciled', result);
    return result;
  } catch (error) {
    log.error('reconcile failed', errorFields(error));
    throw error;
  }
};
