import { organizations, outbox } from '#core/app.ts';
import { errorFields, log } from '#core/log.ts';
import type { DrainReport, Outbox } from '#core/mail/outbox.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OrganizationService } from '#core/orgs/service.ts';

type Reconciled = Awaited<ReturnType<OrganizationService['reconcile']>>;

/**
 * Runs on a schedule: finishes or undoes every create, rename, move and delete whose run died midway
 * (its lease has passed), frees name reservations and locks nobody uses and removes places no
 * organization uses; then sends one batch of the email still due in the outbox (see
 * `#core/mail/outbox.ts`). One that cannot be recovered or sent is logged and does not stop the
 * others. Safe to run often and concurrently.
 */
export function createHandler(service: () => Promise<OrganizationService>, mail?: () => Promise<Outbox>) {
  return async (): Promise<Reconciled & { mail?: DrainReport }> => {
    let result: Reconciled;
    try {
      result = await (await service()).reconcile();
      const { failures, ...counts } = result;
      // Each failure was logged where it happened; the rest was recovered all the same.
      (failures.length === 0 ? log.info : log.error)('reconciled', { ...counts, failures: failures.length });
    } catch (error) {
      log.error('reconcile failed', errorFields(error));
      throw error;
    }
    if (!mail) return result;
    try {
      const sent = await (await mail()).drain();
      if (sent.sent + sent.failed + sent.abandoned > 0) log.info('outbox drained', { ...sent });
      return { ...result, mail: sent };
    } catch (error) {
      log.error('outbox drain failed', errorFields(error));
      throw error;
    }
  };
}

export const handler = createHandler(organizations({ label: collectionLabel }), outbox());
