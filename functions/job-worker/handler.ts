import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { organizations } from '#core/app.ts';
import { jobsConfig } from '#core/config.ts';
import { jobIdOf } from '#core/jobs/sqs-queue.ts';
import { errorFields, log } from '#core/log.ts';
import { observe } from '#core/observe.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OrganizationService } from '#core/orgs/service.ts';

/** Time kept back from the invocation's remaining time for the last checkpoint and hand-back, in ms. */
const MARGIN_MS = 20_000;

/**
 * The job worker, invoked by the job queue (SQS, one message a batch): each message names a job; the
 * worker works on it in checkpointed steps for the invocation's time less a margin (at most
 * JOB_STEP_BUDGET_SECONDS), then hands it back with a new wake-up if it is not done (see
 * `#core/jobs/runner.ts`). A message whose job could not even be claimed (the database unreachable)
 * is reported failed, so SQS delivers it again and, after the queue's `maxReceiveCount`, moves it to
 * the dead-letter queue; a message that names no job is dropped. `npm start` runs this same handler
 * in-process on its own timer queue.
 */
export function createHandler(service: () => Promise<OrganizationService>, budgetMs: number = jobsConfig().budgetMs) {
  const run = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      const jobId = jobIdOf(record.body);
      if (!jobId) {
        log.warn('not a job wake-up; dropped', { messageId: record.messageId });
        continue;
      }
      try {
        const remaining = context ? context.getRemainingTimeInMillis() - MARGIN_MS : budgetMs;
        const outcome = await (await service()).jobs.work(jobId, Math.max(1_000, Math.min(budgetMs, remaining)));
        log.info('job worked on', { jobId, outcome });
      } catch (error) {
        log.error('job not worked on; the queue delivers it again', { jobId, ...errorFields(error) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
  return (event: SQSEvent, context?: Context) => observe({ route: 'job-worker', lambda: context }, () => run(event, context));
}

export const handler = createHandler(organizations({ label: collectionLabel }));
