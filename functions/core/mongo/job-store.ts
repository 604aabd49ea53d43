import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import type { Job, JobData, JobError, JobKind, JobState } from '../jobs/model.ts';
import type { JobStore } from '../jobs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for jobs (`jobs` in the master database). Every change a worker makes is one
 * `findOneAndUpdate`/`updateOne` whose filter names the worker's fencing token (`owner`): atomic on
 * MongoDB (single-document writes). The reconciler finds stranded jobs by `{ state, runAfter }` and
 * `{ state, renewedAt }`; an organization's jobs are read by `{ orgId, _id }`.
 */

export interface JobDoc {
  _id: ObjectId;
  kind: JobKind;
  orgId: ObjectId;
  state: JobState;
  params: JobData;
  progress: JobData;
  attempts: number;
  runAfter: Date;
  owner?: string;
  renewedAt?: Date;
  cancelRequested?: boolean;
  lastError?: JobError;
  result?: JobData;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

function toJob(doc: JobDoc): Job {
  const { _id, orgId, ...rest } = doc;
  return { ...rest, id: _id.toHexString(), orgId: orgId.toHexString() };
}

const LIVE: JobState[] = ['queued', 'running'];

export class MongoJobStore implements JobStore {
  readonly #col: Collection<JobDoc>;

  constructor(col: Collection<JobDoc>) {
    this.#col = col;
  }

  async insert(job: Job): Promise<void> {
    const _id = oid(job.id);
    const orgId = oid(job.orgId);
    if (!_id || !orgId) throw new Error('A job needs ObjectId-shaped ids');
    const { id, orgId: _org, ...rest } = job;
    await this.#col.insertOne({ ...rest, _id, orgId });
  }

  async findById(id: string): Promise<Job | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toJob(doc) : null;
  }

  async listByOrg(orgId: string, limit: number): Promise<Job[]> {
    const org = oid(orgId);
    if (!org) return [];
    const docs = await this.#col.find({ orgId: org }).sort({ orgId: 1, _id: -1 }).limit(limit).toArray();
    return docs.map(toJob);
  }

  async list(limit: number, states?: readonly JobState[]): Promise<Job[]> {
    const filter: Filter<JobDoc> = states ? { state: { $in: [...states] } } : {};
    const docs = await this.#col.find(filter).sort({ _id: -1 }).limit(limit).toArray();
    return docs.map(toJob);
  }

  async claim(id: string, owner: string, now: Date, lapsedBefore: Date): Promise<Job | null> {
    const _id = oid(id);
    if (!_id) return null;
    const doc = await this.#col.findOneAndUpdate(
      {
        _id,
        $or: [
          { state: 'queued', runAfter: { $lte: now } },
          { state: 'running', renewedAt: { $lt: lapsedBefore } },
        ],
      },
      // `$min` sets `startedAt` on the first claim and keeps it after.
      { $set: { state: 'running', owner, renewedAt: now, updatedAt: now }, $min: { startedAt: now } },
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : null;
  }

  async renew(id: string, owner: string, now: Date): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#col.updateOne({ _id, owner, state: 'running' }, { $set: { renewedAt: now } });
    return result.matchedCount > 0;
  }

  async checkpoint(id: string, owner: string, progress: JobData, now: Date): Promise<Job | null> {
    const _id = oid(id);
    if (!_id) return null;
    const doc = await this.#col.findOneAndUpdate(
      { _id, owner, state: 'running' },
      { $set: { progress, renewedAt: now, updatedAt: now, attempts: 0 } },
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : null;
  }

  async release(
    id: string,
    owner: string,
    changes: { runAfter: Date; attempts?: number; lastError?: JobError },
    now: Date,
  ): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#col.updateOne(
      { _id, owner, state: 'running' },
      {
        $set: {
          state: 'queued',
          runAfter: changes.runAfter,
          updatedAt: now,
          ...(changes.attempts !== undefined ? { attempts: changes.attempts } : {}),
          ...(changes.lastError ? { lastError: changes.lastError } : {}),
        },
        $unset: { owner: '', renewedAt: '' },
      },
    );
    return result.matchedCount > 0;
  }

  async finish(
    id: string,
    owner: string,
    end: { state: 'succeeded' | 'failed' | 'cancelled'; result?: JobData; lastError?: JobError; attempts?: number },
    now: Date,
  ): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#col.updateOne(
      { _id, owner, state: 'running' },
      {
        $set: {
          state: end.state,
          updatedAt: now,
          finishedAt: now,
          ...(end.result ? { result: end.result } : {}),
          ...(end.lastError ? { lastError: end.lastError } : {}),
          ...(end.attempts !== undefined ? { attempts: end.attempts } : {}),
        },
        $unset: { owner: '', renewedAt: '' },
      },
    );
    return result.matchedCount > 0;
  }

  async requestCancel(id: string, now: Date): Promise<Job | null> {
    const _id = oid(id);
    if (!_id) return null;
    const doc = await this.#col.findOneAndUpdate(
      { _id, state: { $in: LIVE } },
      { $set: { cancelRequested: true, updatedAt: now } },
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : null;
  }

  async requeue(id: string, now: Date): Promise<Job | null> {
    const _id = oid(id);
    if (!_id) return null;
    const doc = await this.#col.findOneAndUpdate(
      { _id, state: 'failed' },
      { $set: { state: 'queued', attempts: 0, runAfter: now, updatedAt: now }, $unset: { finishedAt: '' } },
      { returnDocument: 'after' },
    );
    return doc ? toJob(doc) : null;
  }

  async listStranded(dueBefore: Date, lapsedBefore: Date, limit: number): Promise<Job[]> {
    const [queued, running] = await Promise.all([
      this.#col
        .find({ state: 'queued', runAfter: { $lt: dueBefore } })
        .limit(limit)
        .toArray(),
      this.#col
        .find({ state: 'running', renewedAt: { $lt: lapsedBefore } })
        .limit(limit)
        .toArray(),
    ]);
    return [...queued, ...running].slice(0, limit).map(toJob);
  }
}

/** The job store on `db`'s `jobs` collection, with outages mapped to 503. */
export function mongoJobStore(db: Db): JobStore {
  return withUnavailableMapping(new MongoJobStore(db.collection<JobDoc>(MASTER_COLLECTIONS.jobs)));
}
