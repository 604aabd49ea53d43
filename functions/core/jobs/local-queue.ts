import { errorFields, log } from '../log.ts';
import type { JobQueue } from './queue.ts';

/**
 * The job worker's wake-up inside one process (the local API, tests): a timer per wake-up that calls
 * `work(jobId)`, one job at a time per id. The same worker code as the SQS-driven function; what the
 * queue adds in AWS (delivery after a crash) the reconciler's sweep gives here.
 */
export class InProcessJobQueue implements JobQueue {
  readonly #work: (jobId: string) => Promise<unknown>;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #running = new Map<string, Promise<void>>();
  #stopped = false;

  /** `work`: what a wake-up runs (the worker's `Jobs.work`). */
  constructor(work: (jobId: string) => Promise<unknown>) {
    this.#work = work;
  }

  async send(jobId: string, delaySeconds: number): Promise<void> {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.#run(jobId);
    }, delaySeconds * 1_000);
    timer.unref?.();
    this.#timers.add(timer);
  }

  async #run(jobId: string): Promise<void> {
    const previous = this.#running.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => (this.#stopped ? undefined : this.#work(jobId)))
      .then(
        () => undefined,
        (error) => log.error('job worker failed; the sweep wakes it again', { jobId, ...errorFields(error) }),
      );
    this.#running.set(jobId, next);
    await next;
    if (this.#running.get(jobId) === next) this.#running.delete(jobId);
  }

  /** Stops sending and waits for the work under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all(this.#running.values());
  }
}

/**
 * The process's in-process wake-up, when one runs here (`npm start` registers it): the job queue of
 * every function module loaded in this process when no `JOB_QUEUE_URL` is set.
 */
export const localJobQueue: { current?: JobQueue } = {};
