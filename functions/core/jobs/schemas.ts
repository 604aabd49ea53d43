import { objectId } from '../orgs/schemas.ts';
import * as z from '../zod.ts';
import { JOB_KINDS, type Job } from './model.ts';

/** Request and response shapes of the job routes. */

export const JOB_EXAMPLE = { id: '65f1c0ffee0123456789abcd' } as const;

const LIMIT = 'must be an integer from 1 to 100';

export const JobIdParams = z.strictObject({
  job_id: objectId.check(z.meta({ description: 'A job id (the `job_id` a long operation answered with)' })),
});

export const JobListQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 20)
    .check(z.describe('Jobs to list, newest first, 1 to 100')),
});

export const JobSchema = z
  .strictObject({
    job_id: objectId,
    kind: z
      .enum(JOB_KINDS)
      .check(z.describe('`move`: the data moves between placement modes; `purge`: an archived organization is removed')),
    state: z
      .enum(['queued', 'running', 'succeeded', 'failed', 'cancelled'])
      .check(z.describe('`queued` waits for the worker (after `run_after`), `running` is being worked on; the rest are final')),
    organization_id: objectId,
    progress: z
      .record(z.string(), z.unknown())
      .check(z.describe('The last checkpoint: for a move `phase` (`copy`, `rest`, `switched`) and `copied` records')),
    attempts: z.number().check(z.describe('Failed attempts in a row; the next waits an exponential backoff')),
    run_after: z.iso.datetime(),
    cancel_requested: z.optional(z.boolean()),
    last_error: z.optional(z.strictObject({ code: z.string(), message: z.string(), at: z.iso.datetime() })),
    result: z.optional(z.record(z.string(), z.unknown()).check(z.describe('What the job did, once succeeded'))),
    created_at: z.iso.datetime(),
    started_at: z.optional(z.iso.datetime()),
    finished_at: z.optional(z.iso.datetime()),
  })
  .check(z.meta({ id: 'Job' }));

export const JobList = z.strictObject({ jobs: z.array(JobSchema).check(z.describe('Newest first')) });

/** A job as the routes and the operator script show it. */
export function toJob(job: Job): z.input<typeof JobSchema> {
  return {
    job_id: job.id,
    kind: job.kind,
    state: job.state,
    organization_id: job.orgId,
    progress: { ...job.progress },
    attempts: job.attempts,
    run_after: job.runAfter.toISOString(),
    ...(job.cancelRequested ? { cancel_requested: true } : {}),
    ...(job.lastError
      ? { last_error: { code: job.lastError.code, message: job.lastError.message, at: job.lastError.at.toISOString() } }
      : {}),
    ...(job.result ? { result: { ...job.result } } : {}),
    created_at: job.createdAt.toISOString(),
    ...(job.startedAt ? { started_at: job.startedAt.toISOString() } : {}),
    ...(job.finishedAt ? { finished_at: job.finishedAt.toISOString() } : {}),
  };
}
