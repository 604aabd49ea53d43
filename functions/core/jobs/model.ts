/**
 * Jobs: long operations on an organization (a move between placement modes, a purge) carried out by a
 * worker in bounded steps, each ending in a checkpoint, so that an interrupted job resumes after its
 * last checkpoint instead of starting again. The job document in the master database is the truth;
 * the queue that wakes the worker (SQS in AWS, a timer locally) only says "look at this job".
 */

/** What a job does; each kind has one handler (see `JobHandler` in `./runner.ts`). */
export type JobKind = 'move' | 'purge';

export const JOB_KINDS: readonly JobKind[] = ['move', 'purge'];

/**
 * Where a job is: `queued` (waiting for a worker, from `runAfter` on), `running` (a worker holds its
 * lease), and the final states `succeeded`, `failed` (gave up after its attempts, or a step refused
 * for good; what could be undone was undone) and `cancelled`.
 */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const FINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/** True when the job will never run again. */
export const isFinal = (state: JobState): boolean => FINAL_JOB_STATES.includes(state);

/**
 * Why a step failed, as the job shows it: a stable `code` and a message fit for the organization's
 * people and the operator (never a driver message; the log has the details).
 */
export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly at: Date;
}

/** A handler's checkpoint and result: plain JSON-able values the handler defines. */
export type JobData = Readonly<Record<string, unknown>>;

export interface Job {
  /** 24 hex digits. */
  readonly id: string;
  readonly kind: JobKind;
  readonly orgId: string;
  readonly state: JobState;
  /** What the job was asked to do (the handler's input). */
  readonly params: JobData;
  /** The last checkpoint: where a resumed job goes on from. */
  readonly progress: JobData;
  /** Failed attempts so far; the backoff before the next grows with it. */
  readonly attempts: number;
  /** Not before this time (the backoff after a failure). */
  readonly runAfter: Date;
  /** The fencing token of the worker run holding the job's lease; only it may checkpoint or finish. */
  readonly owner?: string;
  /** When the owner last said it is alive; another worker may take the job over a lease after this. */
  readonly renewedAt?: Date;
  /** Somebody asked to cancel; the worker cancels at its next step boundary if the handler allows it then. */
  readonly cancelRequested?: boolean;
  readonly lastError?: JobError;
  /** What the job did, once succeeded (the handler's output). */
  readonly result?: JobData;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt?: Date;
  readonly finishedAt?: Date;
}

/**
 * The backoff before attempt `attempts + 1` after `attempts` failures: exponential from `baseMs`,
 * capped at `maxMs` (SQS delays a message 15 minutes at most), with full jitter as the AWS
 * Architecture Blog's "Exponential Backoff And Jitter" recommends, so retries of many jobs spread out.
 */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(baseMs, Math.floor(ceiling * random()));
}
