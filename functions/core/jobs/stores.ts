import type { Job, JobData, JobError, JobState } from './model.ts';

/**
 * The jobs' port (`#core/mongo/job-store.ts` implements it on MongoDB). Every change a worker makes
 * is one conditional update on the job document that names the worker's fencing token (`owner`), so a
 * worker that lost its lease (another took the job over) changes nothing more.
 */
export interface JobStore {
  insert(job: Job): Promise<void>;
  findById(id: string): Promise<Job | null>;
  /** The organization's jobs, newest first, at most `limit`. */
  listByOrg(orgId: string, limit: number): Promise<Job[]>;
  /** Every job, newest first, at most `limit`, optionally only in `states` (the operator's listing). */
  list(limit: number, states?: readonly JobState[]): Promise<Job[]>;
  /**
   * Gives the job's lease to `owner` if the job may run now: queued and due, or running under a lease
   * last renewed before `lapsedBefore` (its worker died). Marks it running; null when it may not run.
   */
  claim(id: string, owner: string, now: Date, lapsedBefore: Date): Promise<Job | null>;
  /** Moves the lease forward while `owner` holds it; false when it does not. */
  renew(id: string, owner: string, now: Date): Promise<boolean>;
  /** Records a checkpoint while `owner` holds the lease; the job as it is then, or null when it does not. */
  checkpoint(id: string, owner: string, progress: JobData, now: Date): Promise<Job | null>;
  /**
   * Hands the job back to the queue while `owner` holds the lease (the step budget ran out, or a
   * step failed and will be retried at `runAfter`); false when it does not hold it.
   */
  release(
    id: string,
    owner: string,
    changes: { runAfter: Date; attempts?: number; lastError?: JobError },
    now: Date,
  ): Promise<boolean>;
  /** Ends the job while `owner` holds the lease; false when it does not. */
  finish(
    id: string,
    owner: string,
    end: { state: 'succeeded' | 'failed' | 'cancelled'; result?: JobData; lastError?: JobError; attempts?: number },
    now: Date,
  ): Promise<boolean>;
  /** Asks a queued or running job to cancel; the job as it is then, null when it is final or missing. */
  requestCancel(id: string, now: Date): Promise<Job | null>;
  /** Queues a failed job again with its attempts reset (the operator's retry); null unless it had failed. */
  requeue(id: string, now: Date): Promise<Job | null>;
  /**
   * Jobs nobody is working on that should be: queued and due since before `dueBefore` (their wake-up
   * was lost), or running under a lease last renewed before `lapsedBefore` (their worker died).
   */
  listStranded(dueBefore: Date, lapsedBefore: Date, limit: number): Promise<Job[]>;
}
