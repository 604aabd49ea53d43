import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { database } from '#core/compose/database.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import type { Organization } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { createHandler as jobsGet } from '../../functions/jobs-get/handler.ts';
import { createHandler as jobsList } from '../../functions/jobs-list/handler.ts';
import {
  dropTenantDatabasesAfterAll,
  eventProblems,
  masterDb,
  placeCollection,
  placeExists,
  settledState,
  testPlacements,
  useTestDatabase,
} from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * Moves as jobs on the real database: a large organization's move interrupted several times (its
 * worker dies mid-copy: every store call after a point fails, as in a killed container) resumes
 * after its last verified batch and ends with every record present exactly once.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

/** The large move's size (the issue of scale it answers: a move no request or invocation could finish). */
const SIZE = Number(process.env.LARGE_MOVE_RECORDS ?? 200_000);
const LEASE_MS = 60_000;
const hasher = createPasswordHasher(4);
const clock = { t: Date.now() };
const now = () => new Date(clock.t + Math.round(performance.now()));
let stores: OrgStores;

beforeAll(async () => {
  // The product's client: its heartbeats tell the database watch that a long copy call is alive.
  const { client } = await database({ requireSetUp: false })();
  stores = mongoOrgStores(client, process.env.MASTER_DB_NAME ?? '', testPlacements());
});

class Killed extends Error {}

/**
 * The stores as one worker container sees them: batch calls (`copyBatch`, `verifyBatch`, or the calls
 * named in `counted`) are recorded with their checkpoint (`after`), and after `dieAfter` of them every
 * store call fails, as if the container was killed.
 */
function worker(dieAfter: number, counted: readonly string[] = ['copyBatch', 'verifyBatch']) {
  const afters: (string | undefined)[] = [];
  let dead = false;
  const wrap = <T extends object>(store: T): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (dead) return Promise.reject(new Killed('killed'));
          if (counted.includes(String(key))) {
            afters.push(args[2] as string | undefined);
            if (afters.length > dieAfter) {
              dead = true;
              return Promise.reject(new Killed('killed'));
            }
          }
          return value.apply(target, args);
        };
      },
    });
  const wrapped = Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, wrap(store)])) as OrgStores;
  return { stores: wrapped, afters };
}

const service = (s: OrgStores = stores) =>
  new OrganizationService({
    stores: s,
    hasher,
    placements: testPlacements('collection'),
    leaseMs: LEASE_MS,
    now,
    jobs: { backoffBaseMs: 10 },
  });

/** Puts `count` records straight into the place, in the records' shape, `data.n` numbering them. */
async function seed(org: Organization, count: number) {
  const at = new Date();
  for (let start = 0; start < count; start += 10_000) {
    const docs = Array.from({ length: Math.min(10_000, count - start) }, (_, i) => {
      const n = start + i;
      return {
        _id: new ObjectId(),
        gen: org.placement.gen,
        rev: 0,
        createdAt: at,
        updatedAt: at,
        data: { n },
      };
    });
    await placeCollection(org.placement).insertMany(docs, { ordered: false });
  }
  // Documents put there by other means, with `_id`s that are not ObjectIds.
  await placeCollection(org.placement).insertMany([
    { _id: 'by-hand-1', note: 'a' },
    { _id: 'by-hand-2', note: 'b' },
  ] as never[]);
}

describe('Moves as jobs', () => {
  it(`moves ${SIZE} records through three worker deaths (copying, copying, verifying): each resumes after the last checkpoint, and every record is there once; then purges them as a job through a worker death`, {
    timeout: 1_200_000,
  }, async () => {
    const { org } = await service().create({ name: 'Very Large Co', email: 'large@jobs.example', password: 'large password' });
    await seed(org, SIZE);

    const { job } = await service().startMove({ id: org.id }, 'database');
    const id = job?.id ?? '';
    const checkpoints: (string | undefined)[] = [];
    // Two deaths while copying, one while verifying (a move makes about 2 × SIZE / 1,000 batch calls).
    const batches = Math.ceil(SIZE / 1_000);
    for (const dieAfter of [Math.max(2, Math.round(batches * 0.1)), Math.round(batches * 0.5), Math.round(batches * 0.6)]) {
      const dying = worker(dieAfter);
      await expect(service(dying.stores).jobs.work(id, 3_600_000)).rejects.toBeInstanceOf(Killed);
      const left = await stores.jobs.findById(id);
      expect(left?.state).toBe('running'); // under the dead worker's lease
      if (checkpoints.length > 0) expect(dying.afters[0], 'resumes where the last worker stopped').toBe(checkpoints.at(-1));
      checkpoints.push(left?.progress.after as string);
      expect(await service().jobs.work(id)).toBe('busy'); // its lease is alive
      clock.t += LEASE_MS + 1;
    }
    expect(new Set(checkpoints).size).toBe(3);
    const last = worker(Number.POSITIVE_INFINITY);
    expect(await service(last.stores).jobs.work(id, 3_600_000)).toBe('succeeded');
    expect(last.afters[0]).toBe(checkpoints.at(-1));

    const moved = (await stores.orgs.findById(org.id)) as Organization;
    expect(moved).toMatchObject({ status: 'active', placement: { mode: 'database' }, placementVersion: 1 });
    expect(await placeExists(org.placement)).toBe(false);
    const seen = new Uint8Array(SIZE);
    let records = 0;
    for await (const doc of placeCollection(moved.placement).find({}, { projection: { data: 1, gen: 1 } })) {
      if (typeof doc._id === 'string') continue;
      records += 1;
      expect(doc.gen).toBe(moved.placement.gen);
      seen[doc.data.n] = (seen[doc.data.n] ?? 0) + 1;
    }
    expect(records).toBe(SIZE);
    expect(seen.every((count) => count === 1)).toBe(true);
    expect(await placeCollection(moved.placement).countDocuments({ _id: { $in: ['by-hand-1', 'by-hand-2'] } } as never)).toBe(2);
    const done = await service().jobs.get(id);
    expect(done).toMatchObject({ state: 'succeeded', result: { documents: SIZE + 2, placement_mode: 'database' } });
    expect((await settledState()).problems).toEqual([]);
    expect((await eventProblems()).problems).toEqual([]);

    // Deleted: archived at once; after the window the reconciler starts its purge job, whose worker
    // dies while dropping the place; the next worker resumes after the steps done and counts stand.
    await service().delete({ userId: org.adminId, orgId: org.id }, org.name);
    clock.t += 31 * 86_400_000;
    await service().reconcile();
    const purging = (await stores.orgs.findById(org.id)) as Organization;
    expect(purging.status).toBe('purging');
    const purgeJob = `${purging.purge?.eventId.replace(/^evt_/, '')}`;
    const dying = worker(0, ['drop']);
    await expect(service(dying.stores).jobs.work(purgeJob, 3_600_000)).rejects.toBeInstanceOf(Killed);
    expect((await stores.orgs.findById(org.id))?.purge?.done).toContain('counted');
    clock.t += LEASE_MS + 1;
    expect(await service().jobs.work(purgeJob, 3_600_000)).toBe('succeeded');
    expect(await stores.orgs.findById(org.id)).toBeNull();
    expect(await placeExists(moved.placement)).toBe(false);
    const purged = await masterDb().collection('events').find({ orgId: org.id, type: 'organization.purged' }).toArray();
    expect(purged).toHaveLength(1);
    expect(purged[0]).toMatchObject({
      state: 'committed',
      data: {
        reason: 'retention',
        places: [{ database: moved.placement.database, collection: moved.placement.collection, documents: SIZE + 2 }],
        places_dropped: 1,
        users_removed: 1,
      },
    });
    expect((await settledState()).problems).toEqual([]);
  });

  it('shows an organization its own jobs (GET /org/jobs, GET /org/jobs/{job_id}) and nobody else', async () => {
    const { org } = await service().create({ name: 'Watched Co', email: 'watched@jobs.example', password: 'watched password' });
    const { org: other } = await service().create({ name: 'Other Co', email: 'other@jobs.example', password: 'other password' });
    await placeCollection(org.placement).insertOne({ _id: new ObjectId(), gen: org.placement.gen, data: { a: 1 } });
    const { job } = await service().startMove({ id: org.id }, 'database');
    const id = job?.id ?? '';
    const owner = { userId: org.adminId, orgId: org.id };
    const stranger = { userId: other.adminId, orgId: other.id };
    const get = (caller: typeof owner, jobId: string) =>
      invoke(
        jobsGet(async () => service()),
        { method: 'GET', path: `/org/jobs/${jobId}`, params: { job_id: jobId }, caller },
      );
    const list = (caller: typeof owner) =>
      invoke(
        jobsList(async () => service()),
        { method: 'GET', path: '/org/jobs', caller },
      );

    expect(await get(owner, id)).toMatchObject({
      status: 200,
      body: { job_id: id, kind: 'move', state: 'queued', progress: {} },
    });
    await service().jobs.runToEnd(id);
    expect(await get(owner, id)).toMatchObject({
      status: 200,
      body: {
        state: 'succeeded',
        result: { documents: 1, placement_mode: 'database' },
        progress: { phase: 'switched', copied: 1 },
      },
    });
    expect((await list(owner)).body).toMatchObject({ jobs: [{ job_id: id }] });
    expect(await get(stranger, id)).toMatchObject({ status: 404, body: { code: 'job_not_found' } });
    expect((await list(stranger)).body).toEqual({ jobs: [] });
    expect(await get(owner, 'not-an-id')).toMatchObject({ status: 400 });
    expect(await get({ ...owner, permissions: ['records:read'] } as never, id)).toMatchObject({ status: 403 });
  });
});
