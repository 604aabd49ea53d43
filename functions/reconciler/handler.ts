import type { Context } from 'aws-lambda';
import { dataMigrations, organizations, outbox } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';
import type { DrainReport, Outbox } from '#core/mail/outbox.ts';
import type { MigrationReport } from '#core/mongo/migrations.ts';
import { observe } from '#core/observe.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OrganizationService } from '#core/orgs/service.ts';

type Reconciled = Awaited<ReturnType<OrganizationService['reconcile']>> & MigrationReport;

/**
 * Runs on a schedule: finishes or undoes every create, rename, move and delete whose run died midway
 * (its lease has passed), frees name reservations and locks nobody uses and removes places no
 * organization uses, then runs the data migrations (`migrate`), then sends one batch of the email
 * still due in the outbox (`mail`, see `#core/mail/outbox.ts`). One that cannot be recovered or sent
 * is logged and does not stop the others. Safe to run often and concurrently.
 */
export function createHandler(
  service: () => Promise<OrganizationService>,
  migrate: () => Promise<MigrationReport> = async () => ({ ownersAdded: 0 }),
  mail?: () => Promise<Outbox>,
) {
  const run = async (): Promise<Reconciled & { mail?: DrainReport }> => {
    let reconciled: Reconciled;
    try {
      const result = await (await service()).reconcile();
      const migrated = await migrate().catch((error) => {
        log.error('data migration failed; the next run tries again', errorFields(error));
        return { ownersAdded: 0 };
      });
      const { failures, ...counts } = result;
      // Each failure was logged where it happened; the rest was recovered all the same.
      (failures.length === 0 ? log.info : log.error)('reconciled', { ...counts, ...migrated, failures: failures.length });
      reconciled = { ...result, ...migrated };
    } catch (error) {
      log.error('reconcile failed', errorFields(error));
      throw error;
    }
    if (!mail) return reconciled;
    try {
      const sent = await (await mail()).drain();
      if (sent.sent + sent.failed + sent.abandoned > 0) log.info('outbox drained', { ...sent });
      return { ...reconciled, mail: sent };
    } catch (error) {
      log.error('outbox drain failed', errorFields(error));
      throw error;
    }
  };
  // An observed invocation, so the moves and deletes it finishes are counted (`#core/metrics.ts`).
  return (_event?: unknown, context?: Context) => observe({ route: 'reconciler', lambda: context }, run);
}

export const handler = createHandler(organizations({ label: collectionLabel }), dataMigrations(), outbox());
