import type { Job, JobData, JobError, JobState } from '#core/jobs/model.ts';
import type { JobStore } from '#core/jobs/stores.ts';
import { copy } from './copy.ts';

/** In-memory {@link JobStore} with the semantics of `MongoJobStore`: every change conditional on the owner's fencing token. */
export class FakeJobStore implements JobStore {
  readonly #docs = new Map<string, Job>();

  async insert(job: Job): Promise<void> {
    if (this.#docs.has(job.id)) throw Object.assign(new Error('duplicate key'), { code: 11000 });
    this.#docs.set(job.id, copy(job));
  }

  async findById(id: string): Promise<Job | null> {
    const job = this.#docs.get(id);
    return job ? copy(job) : null;
  }

  async listByOrg(orgId: string, limit: number): Promise<Job[]> {
    return this.all()
      .filter((job) => job.orgId === orgId)
      .slice(0, limit);
  }

  async list(limit: number, states?: readonly JobState[]): Promise<Job[]> {
    return this.all()
      .filter((job) => !states || states.includes(job.state))
      .slice(0, limit);
  }

  #set(id: string, change: (job: Job) => Job): Job {
    const next = change(this.#docs.get(id) as Job);
    this.#docs.set(id, next);
    return copy(next);
  }

  async claim(id: string, owner: string, now: Date, lapsedBefore: Date): Promise<Job | null> {
    const job = this.#docs.get(id);
    if (!job) return null;
    const due = job.state === 'queued' && job.runAfter <= now;
    const lapsed = job.state === 'running' && job.renewedAt !== undefined && job.renewedAt < lapsedBefore;
    if (!due && !lapsed) return null;
    return this.#set(id, (j) => ({
      ...j,
      state: 'running',
      owner,
      renewedAt: now,
      updatedAt: now,
      startedAt: j.startedAt ?? now,
    }));
  }

  #owned(id: string, owner: string): boolean {
    const job = this.#docs.get(id);
    return job?.owner === owner && job.state === 'running';
  }

  async renew(id: string, owner: string, now: Date): Promise<boolean> {
    if (!this.#owned(id, owner)) return false;
    this.#set(id, (j) => ({ ...j, renewedAt: now }));
    return true;
  }

  async checkpoint(id: string, owner: string, progress: JobData, now: Date): Promise<Job | null> {
    if (!this.#owned(id, owner)) return null;
    return this.#set(id, (j) => ({ ...j, progress: copy(progress), renewedAt: now, updatedAt: now, attempts: 0 }));
  }

  async release(id: string, owner: string, changes: { runAfter: Date; attempts?: number; lastError?: JobError }, now: Date) {
    if (!this.#owned(id, owner)) return false;
    this.#set(id, ({ owner: _o, renewedAt: _r, ...j }) => ({ ...j, ...copy(changes), state: 'queued', updatedAt: now }));
    return true;
  }

  async finish(
    id: string,
    owner: string,
    end: { state: 'succeeded' | 'failed' | 'cancelled'; result?: JobData; lastError?: JobError; attempts?: number },
    now: Date,
  ): Promise<boolean> {
    if (!this.#owned(id, owner)) return false;
    this.#set(id, ({ owner: _o, renewedAt: _r, ...j }) => ({ ...j, ...copy(end), updatedAt: now, finishedAt: now }));
    return true;
  }

  async requestCancel(id: string, now: Date): Promise<Job | null> {
    const job = this.#docs.get(id);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return null;
    return this.#set(id, (j) => ({ ...j, cancelRequested: true, updatedAt: now }));
  }

  async requeue(id: string, now: Date): Promise<Job | null> {
    const job = this.#docs.get(id);
    if (job?.state !== 'failed') return null;
    return this.#set(id, ({ finishedAt: _f, ...j }) => ({ ...j, state: 'queued', attempts: 0, runAfter: now, updatedAt: now }));
  }

  async listStranded(dueBefore: Date, lapsedBefore: Date, limit: number): Promise<Job[]> {
    return this.all()
      .filter(
        (job) =>
          (job.state === 'queued' && job.runAfter < dueBefore) ||
          (job.state === 'running' && job.renewedAt !== undefined && job.renewedAt < lapsedBefore),
      )
      .slice(0, limit);
  }

  /** Every job, newest first, for assertions. */
  all(): Job[] {
    return [...this.#docs.values()].reverse().map(copy);
  }
}
