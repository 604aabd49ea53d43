import { AppError, UnavailableError } from '../errors.ts';
import { newId, randomToken } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import { backoffMs, isFinal, type Job, type JobData, type JobError, type JobKind, type JobState } from './model.ts';
import { type JobQueue, MAX_DELAY_SECONDS } from './queue.ts';
import type { JobStore } from './stores.ts';

/**
 * The jobs engine: starts jobs, and works on one when its wake-up arrives. A worker claims the job's
 * lease (its fencing token is a random run id), runs the kind's handler one bounded step at a time,
 * records each step's checkpoint under the token, renews the lease while a step runs, and stops when
 * its time budget is spent (the job goes back to the queue and a new wake-up is sent), when the job
 * ends, or when a step fails (retried after an exponential backoff with jitter, up to `maxAttempts`
 * failures in a row; then the handler undoes what it can and the job fails).
 */

/** One step's outcome: more to do (with the checkpoint to resume from), or done (with the result). */
export type StepOutcome =
  | { readonly done: false; readonly progress: JobData }
  | { readonly done: true; readonly result: JobData };

/** What a step may ask of the engine. */
export interface StepContext {
  /**
   * Resolves while this worker holds the job's lease with at least half a lease left, else throws
   * {@link LeaseLostError}: a step calls it right before each write to a place another worker may
   * also be writing to after a take-over, so a worker that froze longer than half a lease writes
   * nothing more (one read of the job).
   */
  readonly assertLease: () => Promise<void>;
}

/** What a job kind does, one bounded step at a time; every step must be safe to run again. */
export interface JobHandler {
  readonly kind: JobKind;
  /**
   * Runs the step after `job.progress` (the last checkpoint; `{}` at first). A step must finish well
   * within the lease and end at a point a later step (by any worker) can resume from.
   *
   * @throws PermanentJobError when the job can never succeed (no retry); anything else is retried.
   */
  step(job: Job, context: StepContext): Promise<StepOutcome>;
  /** True while cancelling is safe (before the point of no return); cancelling is refused after. Default: always. */
  cancellable?(job: Job): boolean;
  /** Undoes what the job did, once it is cancelled or has failed for good. Must be idempotent. */
  abandon?(job: Job, reason: 'failed' | 'cancelled'): Promise<void>;
}

/** A step that can never succeed (the organization is gone, the input is wrong): the job fails without retrying. */
export class PermanentJobError extends AppError {}

/** This worker no longer holds the job's lease (or has too little of it left to write safely). */
export class LeaseLostError extends Error {
  constructor() {
    super('The job lease was lost or is about to lapse; another worker may hold the job');
    this.name = 'LeaseLostError';
  }
}

export interface JobsDeps {
  readonly store: JobStore;
  /** The worker's wake-up; without one, jobs run only when `work` is called (scripts, tests). */
  readonly queue?: JobQueue;
  readonly handlers: readonly JobHandler[];
  /** How long a worker may go without renewing a job's lease before another may take the job over, in ms. */
  readonly leaseMs: number;
  /** Failures in a row before a job fails for good (default 8). */
  readonly maxAttempts?: number;
  /** The first retry's backoff, in ms (default 2 s); doubled per failure, capped at 15 minutes. */
  readonly backoffBaseMs?: number;
  /** How long one `work` call steps before handing the job back to the queue, in ms (default 60 s). */
  readonly budgetMs?: number;
  readonly now?: () => Date;
}

/** How a `work` call ended for its job. */
export type WorkOutcome =
  /** The job ended in this call. */
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  /** The budget ran out; the job is queued again and a wake-up sent. */
  | 'continued'
  /** A step failed; it is retried after its backoff. */
  | 'retrying'
  /** Another worker holds the lease, or the job is not due yet (a wake-up for later was sent). */
  | 'busy'
  /** The job is final or missing: nothing to do. */
  | 'gone'
  /** Another worker took the job over during this call; it stopped. */
  | 'lost';

/** A job start's input. */
export interface StartInput {
  readonly kind: JobKind;
  readonly orgId: string;
  readonly params?: JobData;
  /** The job's id when the caller recorded it elsewhere first (a move records its job on the organization). */
  readonly id?: string;
}

const MAX_BACKOFF_MS = MAX_DELAY_SECONDS * 1_000;

/** How a step's failure shows on the job: our own errors as they are, anything else without its details. */
export function jobErrorOf(error: unknown, at: Date): JobError {
  if (error instanceof UnavailableError) return { code: 'database_unavailable', message: error.message, at };
  if (error instanceof AppError) return { code: error.code, message: error.message, at };
  return { code: 'internal_error', message: 'A step failed on an internal error; it is in the worker log.', at };
}

export class Jobs {
  readonly #deps: JobsDeps;
  readonly #handlers: ReadonlyMap<JobKind, JobHandler>;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #budgetMs: number;

  constructor(deps: JobsDeps) {
    this.#deps = deps;
    this.#handlers = new Map(deps.handlers.map((h) => [h.kind, h]));
    this.#now = deps.now ?? (() => new Date());
    this.#maxAttempts = deps.maxAttempts ?? 8;
    this.#backoffBaseMs = deps.backoffBaseMs ?? 2_000;
    this.#budgetMs = deps.budgetMs ?? 60_000;
  }

  /**
   * Records a new queued job and sends its wake-up (unless `wake` is false: the caller wakes it once
   * it has recorded the job elsewhere). A failed send is logged, not thrown: the job is
   * recorded, and the reconciler's sweep sends the wake-up again.
   *
   * @returns the job as recorded.
   * @throws a store failure of the insert (nothing was recorded).
   */
  async start(input: StartInput, options: { wake?: boolean } = {}): Promise<Job> {
    const now = this.#now();
    const job: Job = {
      id: input.id ?? newId(),
      kind: input.kind,
      orgId: input.orgId,
      state: 'queued',
      params: input.params ?? {},
      progress: {},
      attempts: 0,
      runAfter: now,
      createdAt: now,
      updatedAt: now,
    };
    await this.#deps.store.insert(job);
    if (options.wake ?? true) await this.#wake(job.id, 0);
    return job;
  }

  /** Sends the job's wake-up now (after `start` with `wake: false`); a failure is logged, not thrown. */
  wake(id: string): Promise<void> {
    return this.#wake(id, 0);
  }

  get(id: string): Promise<Job | null> {
    return this.#deps.store.findById(id);
  }

  listByOrg(orgId: string, limit: number): Promise<Job[]> {
    return this.#deps.store.listByOrg(orgId, limit);
  }

  list(limit: number, states?: readonly JobState[]): Promise<Job[]> {
    return this.#deps.store.list(limit, states);
  }

  /**
   * Asks the job to cancel; the worker cancels it at its next step boundary if its handler allows it
   * then (a move cancels until its switch). A wake-up is sent so a job waiting out a backoff cancels now.
   *
   * @returns the job as it is then; null when it is missing or already final.
   */
  async cancel(id: string): Promise<Job | null> {
    const job = await this.#deps.store.requestCancel(id, this.#now());
    if (job) await this.#wake(id, 0);
    return job;
  }

  /** Queues a failed job again with its attempts reset (the operator's retry); null unless it had failed. */
  async retry(id: string): Promise<Job | null> {
    const job = await this.#deps.store.requeue(id, this.#now());
    if (job) await this.#wake(id, 0);
    return job;
  }

  /**
   * Works on the job for up to `budgetMs` (the worker's remaining time less a margin, at most the
   * configured budget): see {@link WorkOutcome}.
   *
   * @throws a store failure of the claim (the wake-up is retried by the queue).
   */
  async work(id: string, budgetMs: number = this.#budgetMs): Promise<WorkOutcome> {
    const started = Date.now();
    const owner = randomToken();
    const now = this.#now();
    const claimed = await this.#deps.store.claim(id, owner, now, new Date(now.getTime() - this.#deps.leaseMs));
    if (!claimed) return this.#notClaimed(id);
    const handler = this.#handlers.get(claimed.kind);
    if (!handler) {
      const error = { code: 'unknown_job_kind', message: `No worker handles ${claimed.kind} jobs.`, at: now };
      await this.#deps.store.finish(id, owner, { state: 'failed', lastError: error }, now);
      return 'failed';
    }

    let job = claimed;
    for (;;) {
      if (job.cancelRequested && (handler.cancellable?.(job) ?? true)) return this.#end(handler, job, owner, 'cancelled');
      let next: Job | 'succeeded' | 'lost';
      try {
        const outcome = await this.#renewing(job, owner, () =>
          handler.step(job, { assertLease: () => this.#assertLease(id, owner) }),
        );
        next = outcome.done
          ? await this.#succeed(job, owner, outcome.result)
          : await this.#checkpoint(job, owner, outcome.progress);
      } catch (error) {
        if (error instanceof LeaseLostError) return 'lost';
        // A failed step, or a failed checkpoint or finish (the step is run again from the last checkpoint).
        return this.#failed(handler, job, owner, error);
      }
      if (next === 'succeeded' || next === 'lost') return next;
      job = next;
      if (Date.now() - started >= budgetMs) {
        if (!(await this.#deps.store.release(id, owner, { runAfter: this.#now() }, this.#now()))) return 'lost';
        await this.#wake(id, 0);
        return 'continued';
      }
    }
  }

  async #assertLease(id: string, owner: string): Promise<void> {
    const job = await this.#deps.store.findById(id);
    const left = job?.renewedAt ? job.renewedAt.getTime() + this.#deps.leaseMs - this.#now().getTime() : 0;
    if (job?.owner !== owner || job.state !== 'running' || left < this.#deps.leaseMs / 2) throw new LeaseLostError();
  }

  async #succeed(job: Job, owner: string, result: JobData): Promise<'succeeded' | 'lost'> {
    if (!(await this.#deps.store.finish(job.id, owner, { state: 'succeeded', result }, this.#now()))) return 'lost';
    metrics.count('jobSucceeded');
    log.info('job succeeded', { jobId: job.id, kind: job.kind, orgId: job.orgId });
    return 'succeeded';
  }

  async #checkpoint(job: Job, owner: string, progress: JobData): Promise<Job | 'lost'> {
    return (await this.#deps.store.checkpoint(job.id, owner, progress, this.#now())) ?? 'lost';
  }

  /**
   * Works on the job until it is final, waiting out backoffs (an operator script's `--wait`, tests).
   *
   * @returns the job as it ended.
   * @throws Error when it is not final after `maxCalls` calls.
   */
  async runToEnd(
    id: string,
    options: { budgetMs?: number; maxCalls?: number; sleep?: (ms: number) => Promise<void> } = {},
  ): Promise<Job> {
    const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    for (let call = 0; call < (options.maxCalls ?? 10_000); call += 1) {
      const job = await this.#deps.store.findById(id);
      if (!job) throw new Error(`job ${id} is missing`);
      if (isFinal(job.state)) return job;
      const wait = job.runAfter.getTime() - this.#now().getTime();
      if (wait > 0) await sleep(Math.min(wait, 1_000));
      else {
        const outcome = await this.work(id, options.budgetMs);
        if (outcome === 'busy') await sleep(200);
      }
    }
    throw new Error(`job ${id} did not end`);
  }

  /**
   * Sends a wake-up for every job nobody works on that should be: queued and due for a lease or more
   * (its wake-up was lost), or running with a lapsed lease (its worker died). Run by the reconciler.
   *
   * @returns how many wake-ups were sent.
   */
  async sweep(limit = 100): Promise<number> {
    const now = this.#now().getTime();
    const stale = new Date(now - this.#deps.leaseMs);
    const stranded = await this.#deps.store.listStranded(stale, stale, limit);
    for (const job of stranded) await this.#wake(job.id, 0);
    return stranded.length;
  }

  /** Why a claim failed: final or missing (`gone`), or busy or not yet due (a wake-up for then is sent). */
  async #notClaimed(id: string): Promise<WorkOutcome> {
    const job = await this.#deps.store.findById(id);
    if (!job || isFinal(job.state)) return 'gone';
    const wait = job.runAfter.getTime() - this.#now().getTime();
    if (job.state === 'queued' && wait > 0) await this.#wake(id, Math.ceil(wait / 1_000));
    return 'busy';
  }

  async #failed(handler: JobHandler, job: Job, owner: string, error: unknown): Promise<WorkOutcome> {
    const at = this.#now();
    const lastError = jobErrorOf(error, at);
    const attempts = job.attempts + 1;
    const permanent = error instanceof PermanentJobError;
    log[permanent ? 'warn' : 'error']('job step failed', {
      jobId: job.id,
      kind: job.kind,
      orgId: job.orgId,
      attempts,
      ...errorFields(error),
    });
    if (permanent || attempts >= this.#maxAttempts) return this.#end(handler, { ...job, attempts, lastError }, owner, 'failed');
    const delay = backoffMs(attempts, this.#backoffBaseMs, MAX_BACKOFF_MS);
    const released = await this.#deps.store.release(
      job.id,
      owner,
      { runAfter: new Date(at.getTime() + delay), attempts, lastError },
      at,
    );
    if (!released) return 'lost';
    await this.#wake(job.id, Math.ceil(delay / 1_000));
    return 'retrying';
  }

  /** Undoes what the handler can (a failure of that is logged; the reconciler settles the rest) and ends the job. */
  async #end(handler: JobHandler, job: Job, owner: string, state: 'failed' | 'cancelled'): Promise<WorkOutcome> {
    try {
      await this.#renewing(job, owner, async () => handler.abandon?.(job, state));
    } catch (error) {
      log.error('job not undone; the reconciler settles it', {
        jobId: job.id,
        kind: job.kind,
        orgId: job.orgId,
        ...errorFields(error),
      });
    }
    const ended = await this.#deps.store.finish(
      job.id,
      owner,
      { state, attempts: job.attempts, ...(job.lastError ? { lastError: job.lastError } : {}) },
      this.#now(),
    );
    if (!ended) return 'lost';
    if (state === 'failed') metrics.count('jobFailed');
    log[state === 'failed' ? 'error' : 'info'](`job ${state}`, { jobId: job.id, kind: job.kind, orgId: job.orgId });
    return state;
  }

  /** Runs `work` renewing the job's lease every third of a lease. */
  async #renewing<T>(job: Job, owner: string, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(
      () => {
        this.#deps.store.renew(job.id, owner, this.#now()).catch((error) => {
          log.warn('job lease not renewed; trying again at the next beat', { jobId: job.id, ...errorFields(error) });
        });
      },
      Math.max(1, Math.floor(this.#deps.leaseMs / 3)),
    );
    timer.unref?.();
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Sends a wake-up; a failure is logged (the reconciler's sweep sends it again). */
  async #wake(id: string, delaySeconds: number): Promise<void> {
    if (!this.#deps.queue) return;
    try {
      await this.#deps.queue.send(id, Math.min(MAX_DELAY_SECONDS, Math.max(0, delaySeconds)));
    } catch (error) {
      log.warn('job wake-up not sent; the reconciler sends it again', { jobId: id, ...errorFields(error) });
    }
  }
}
