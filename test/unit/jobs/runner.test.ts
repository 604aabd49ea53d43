import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffMs, type Job } from '#core/jobs/model.ts';
import { type JobHandler, Jobs, PermanentJobError, type StepOutcome } from '#core/jobs/runner.ts';
import { jobIdOf, SqsJobQueue } from '#core/jobs/sqs-queue.ts';
import { FakeJobStore } from '../../support/fakes/index.ts';

/** The jobs engine over an in-memory store and a clock the test moves. */

const ORG = '0123456789abcdef01234567';
const LEASE_MS = 60_000;

function engine(handler: JobHandler, options: { maxAttempts?: number } = {}) {
  const store = new FakeJobStore();
  const clock = { t: Date.parse('2026-06-01T00:00:00Z') };
  const sent: { jobId: string; delaySeconds: number }[] = [];
  const jobs = new Jobs({
    store,
    handlers: [handler],
    leaseMs: LEASE_MS,
    now: () => new Date(clock.t),
    queue: { send: async (jobId, delaySeconds) => void sent.push({ jobId, delaySeconds }) },
    backoffBaseMs: 2_000,
    maxAttempts: options.maxAttempts ?? 3,
  });
  return { store, clock, sent, jobs };
}

/** A handler counting to `steps`, one step at a time; `fail(n)` decides whether step n throws. */
function counter(steps: number, fail: (step: number, job: Job) => Error | undefined = () => undefined) {
  const abandoned: string[] = [];
  let calls = 0;
  const handler: JobHandler = {
    kind: 'move',
    cancellable: (job) => Number(job.progress.n ?? 0) < 2,
    step: async (job): Promise<StepOutcome> => {
      calls += 1;
      const n = Number(job.progress.n ?? 0) + 1;
      const error = fail(calls, job);
      if (error) throw error;
      return n >= steps ? { done: true, result: { n } } : { done: false, progress: { n } };
    },
    abandon: async (_job, reason) => void abandoned.push(reason),
  };
  return { handler, abandoned, calls: () => calls };
}

describe('Jobs', () => {
  it('runs a job step by step to its end, checkpointing each step, and sends one wake-up when it starts', async () => {
    const { handler } = counter(4);
    const { jobs, sent } = engine(handler);
    const job = await jobs.start({ kind: 'move', orgId: ORG, params: { to: 'database' } });

    expect(sent).toEqual([{ jobId: job.id, delaySeconds: 0 }]);
    expect(await jobs.work(job.id)).toBe('succeeded');
    expect(await jobs.get(job.id)).toMatchObject({ state: 'succeeded', result: { n: 4 }, progress: { n: 3 }, attempts: 0 });
    expect(await jobs.work(job.id)).toBe('gone');
  });

  it('hands the job back with a new wake-up when its budget is spent, and the next call resumes from the checkpoint', async () => {
    const { handler, calls } = counter(3);
    const { jobs, sent } = engine(handler);
    const job = await jobs.start({ kind: 'move', orgId: ORG });

    expect(await jobs.work(job.id, 0)).toBe('continued');
    expect(await jobs.get(job.id)).toMatchObject({ state: 'queued', progress: { n: 1 } });
    expect(sent.at(-1)).toEqual({ jobId: job.id, delaySeconds: 0 });
    expect(await jobs.work(job.id)).toBe('succeeded');
    expect(calls()).toBe(3);
  });

  it('retries a failed step after an exponential backoff, then fails for good after its attempts and undoes the job', async () => {
    const { handler, abandoned } = counter(5, () => new Error('the database said something private'));
    const { jobs, clock, sent } = engine(handler, { maxAttempts: 3 });
    const job = await jobs.start({ kind: 'move', orgId: ORG });

    expect(await jobs.work(job.id)).toBe('retrying');
    const first = (await jobs.get(job.id)) as Job;
    expect(first).toMatchObject({ state: 'queued', attempts: 1, lastError: { code: 'internal_error' } });
    expect(first.lastError?.message).not.toContain('private');
    const wait = first.runAfter.getTime() - clock.t;
    expect(wait).toBeGreaterThanOrEqual(2_000);
    expect(sent.at(-1)?.delaySeconds).toBe(Math.ceil(wait / 1_000));

    expect(await jobs.work(job.id)).toBe('busy'); // not due yet
    clock.t += 1_000_000;
    expect(await jobs.work(job.id)).toBe('retrying');
    clock.t += 1_000_000;
    expect(await jobs.work(job.id)).toBe('failed');
    expect(await jobs.get(job.id)).toMatchObject({ state: 'failed', attempts: 3 });
    expect(abandoned).toEqual(['failed']);

    expect(await jobs.retry(job.id)).toMatchObject({ state: 'queued', attempts: 0 });
  });

  it('fails at once, without retrying, on a step that can never succeed', async () => {
    const { handler, abandoned } = counter(
      5,
      () => new PermanentJobError('organization_not_found', 'The organization no longer exists.'),
    );
    const { jobs } = engine(handler);
    const job = await jobs.start({ kind: 'move', orgId: ORG });

    expect(await jobs.work(job.id)).toBe('failed');
    expect(await jobs.get(job.id)).toMatchObject({
      state: 'failed',
      lastError: { code: 'organization_not_found', message: 'The organization no longer exists.' },
    });
    expect(abandoned).toEqual(['failed']);
  });

  it('counts failures in a row only: a step that succeeds resets the attempts', async () => {
    const { handler } = counter(6, (call) => (call % 2 === 1 ? new Error('flaky') : undefined));
    const { jobs, clock } = engine(handler, { maxAttempts: 2 });
    const job = await jobs.start({ kind: 'move', orgId: ORG });

    let outcome = await jobs.work(job.id);
    while (outcome === 'retrying') {
      clock.t += 1_000_000;
      outcome = await jobs.work(job.id);
    }
    expect(outcome).toBe('succeeded');
  });

  it('cancels at a step boundary while the handler allows it, and refuses after its point of no return', async () => {
    const early = engine(counter(5).handler);
    const a = await early.jobs.start({ kind: 'move', orgId: ORG });
    await early.jobs.cancel(a.id);
    expect(await early.jobs.work(a.id)).toBe('cancelled');
    expect(await early.jobs.cancel(a.id)).toBeNull(); // final

    const { handler, abandoned } = counter(5);
    const late = engine(handler);
    const b = await late.jobs.start({ kind: 'move', orgId: ORG });
    expect(await late.jobs.work(b.id, 0)).toBe('continued');
    expect(await late.jobs.work(b.id, 0)).toBe('continued'); // n = 2: past the point of no return
    await late.jobs.cancel(b.id);
    expect(await late.jobs.work(b.id)).toBe('succeeded');
    expect(abandoned).toEqual([]);
  });

  it('fences a worker that lost its lease: another took the job over, and the first can neither checkpoint nor finish', async () => {
    let store!: FakeJobStore;
    let clock!: { t: number };
    const handler: JobHandler = {
      kind: 'move',
      step: async (job) => {
        if (job.progress.n === undefined) {
          // While the first worker runs its step, its lease lapses and a second takes the job over.
          clock.t += LEASE_MS + 1;
          await store.claim(job.id, 'second-worker', new Date(clock.t), new Date(clock.t - LEASE_MS));
        }
        return { done: false, progress: { n: 1 } };
      },
    };
    const built = engine(handler);
    const jobs = built.jobs;
    ({ store, clock } = built);
    const job = await jobs.start({ kind: 'move', orgId: ORG });

    expect(await jobs.work(job.id)).toBe('lost');
    expect(await jobs.get(job.id)).toMatchObject({ state: 'running', owner: 'second-worker', progress: {} });
  });

  it('sweeps jobs nobody works on: a lost wake-up, a worker that died; not one a live worker holds', async () => {
    const { jobs, store, clock, sent } = engine(counter(3).handler);
    const lost = await jobs.start({ kind: 'move', orgId: ORG });
    const died = await jobs.start({ kind: 'move', orgId: ORG });
    const alive = await jobs.start({ kind: 'move', orgId: ORG });
    await store.claim(died.id, 'dead', new Date(clock.t), new Date(0));
    clock.t += LEASE_MS + 1;
    await store.claim(alive.id, 'alive', new Date(clock.t), new Date(0));
    sent.length = 0;

    expect(await jobs.sweep()).toBe(2);
    expect(sent.map((s) => s.jobId).sort()).toEqual([lost.id, died.id].sort());
  });

  it('spreads backoffs with full jitter, doubling the ceiling per failure and capping it', () => {
    expect(backoffMs(1, 2_000, 900_000, () => 1)).toBe(2_000);
    expect(backoffMs(4, 2_000, 900_000, () => 1)).toBe(16_000);
    expect(backoffMs(4, 2_000, 900_000, () => 0.5)).toBe(8_000);
    expect(backoffMs(4, 2_000, 900_000, () => 0)).toBe(2_000);
    expect(backoffMs(30, 2_000, 900_000, () => 1)).toBe(900_000);
  });
});

describe('The SQS wake-up', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('sends the job id as the body and the backoff as DelaySeconds', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await new SqsJobQueue('https://sqs.eu-west-1.amazonaws.com/123456789012/orgs-jobs').send(ORG, 37);

    const [call] = sqs.commandCalls(SendMessageCommand);
    expect(call?.args[0].input).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orgs-jobs',
      MessageBody: JSON.stringify({ jobId: ORG }),
      DelaySeconds: 37,
    });
  });

  it('reads a job id only from a wake-up body', () => {
    expect(jobIdOf(JSON.stringify({ jobId: ORG }))).toBe(ORG);
    for (const body of ['', 'not json', '{}', JSON.stringify({ jobId: 'x' }), JSON.stringify({ jobId: 7 }), 'null']) {
      expect(jobIdOf(body), body).toBeNull();
    }
  });
});
