import type { Context } from 'aws-lambda';
import { dataMigrations, organizations } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';
import type { MigrationReport } from '#core/mongo/migrations.ts';
import { observe } from '#core/observe.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OrganizationService } from '#core/orgs/service.ts';

/**
 * Runs on a schedule: finishes or undoes every create, rename, move and delete whose run died midway
 * (its lease has passed), frees name reservations and locks nobody uses and removes places no
 * organization uses, then runs the data migrations (`migrate`). One that cannot be recovered is
 * logged and does not stop the others. Safe to run often and concurrently.
 */
export function createHandler(
  service: () => Promise<OrganizationService>,
  migrate: () => Promise<MigrationReport> = async () => ({ ownersAdded: 0 }),
) {
  const run = async (): Promise<Awaited<ReturnType<OrganizationService['reconcile']>> & MigrationReport> => {
    try {
      const result = await (await service()).reconcile();
      const migrated = await migrate().catch((error) => {
        log.error('data migration failed; the next run tries again', errorFields(error));
        return { ownersAdded: 0 };
      });
      const { failures, ...counts } = result;
      // Each failure was logged where it happened; the rest was recovered all the same.
      (failures.length === 0 ? log.info : log.error)('reconciled', { ...counts, ...migrated, failures: failures.length });
      return { ...result, ...migrated };
    } catch (error) {
      log.error('reconcile failed', errorFields(error));
      throw error;
    }
  };
  // An observed invocation, so the moves and deletes it finishes are counted (`#core/metrics.ts`).
  return (_event?: unknown, context?: Context) => observe({ route: 'reconciler', lambda: context }, run);
}

export const handler = createHandler(organizations({ label: collectionLabel }), dataMigrations());
