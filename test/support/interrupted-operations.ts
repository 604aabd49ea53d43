import { type Document, ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import type { Organization, PlacementMode } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { RecordsService } from '#core/records/service.ts';
import {
  dropTenantDatabasesAfterAll,
  eventProblems,
  masterDb,
  placeCollection,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
  wipeOrganizations,
} from './db.ts';

/**
 * Create, rename, move and delete interrupted at every store call they make, in two ways:
 * - "fail": that one call throws and the service's own compensation runs;
 * - "crash": that call and every later one throw, as if the container died there.
 * Afterwards a retry (or the reconciler, once the lease has passed) must converge: every org settled,
 * nothing orphaned, no document lost. The suite takes the placement mode of new organizations as its
 * parameter; one test file runs it per mode, so the two run side by side.
 */

const LEASE_MS = 60_000;
/**
 * Each test interrupts its operation at every store call, one run per call (a delete makes about
 * fifteen, a move more): longer than the suite's default per-test limit on a loaded machine.
 */
const EVERY_STEP_TIMEOUT_MS = 120_000;
const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
const realStart = performance.now();
/** The suite's clock: moved on by hand past leases, and with real time (a job's backoff passes). */
const now = () => new Date(clock.t + Math.round(performance.now() - realStart));
const hasher = createPasswordHasher(4);
let stores: OrgStores;

class InjectedFault extends Error {}

/** The real stores, with call number `failAt` (1-based) failing; with `crash`, every later call too. */
function faulty(plan: { failAt: number; crash: boolean } | null) {
  const calls: string[] = [];
  const wrap = <T extends object>(store: T, storeName: string): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${storeName}.${String(key)}`);
          const n = calls.length;
          if (plan && (n === plan.failAt || (plan.crash && n > plan.failAt))) {
            return Promise.reject(new InjectedFault(`fault at call ${n} (${storeName}.${String(key)})`));
          }
          return value.apply(target, args);
        };
      },
    });
  const wrapped = Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, wrap(store, name)])) as OrgStores;
  return { stores: wrapped, calls };
}

const modes = [
  { mode: 'fail', crash: false },
  { mode: 'crash', crash: true },
] as const;

const password = 'interrupted pw';
let seq = 0;

export function interruptedOperationsSuite(placementMode: PlacementMode): void {
  useTestDatabase();
  dropTenantDatabasesAfterAll();

  beforeAll(async () => {
    stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
  });

  function service(s: OrgStores = stores) {
    return new OrganizationService({
      stores: s,
      hasher,
      placements: testPlacements(placementMode),
      leaseMs: LEASE_MS,
      now,
      jobs: { backoffBaseMs: 10, maxAttempts: 4 },
    });
  }

  /** Works every job of the organization that has not ended to its end, as the worker would after a sweep. */
  async function finishJobsOf(orgId: string) {
    const svc = service();
    for (const job of await svc.jobs.listByOrg(orgId, 100)) {
      if (job.state === 'queued' || job.state === 'running') await svc.jobs.runToEnd(job.id);
    }
  }

  async function expectSettled() {
    clock.t += LEASE_MS + 1;
    await service().reconcile();
    const state = await settledState();
    expect(state.problems).toEqual([]);
    const events = await eventProblems();
    expect(events.problems).toEqual([]);
    return { ...state, events: events.committed };
  }

  /** The committed events of `type` about organization `orgId`. */
  const eventsOf = (state: { events: Document[] }, type: string, orgId: string) =>
    state.events.filter((e) => e.type === type && e.orgId === orgId);

  /**
   * The store calls `run` makes, the number of the call that marks the operation (the first org
   * transition) and of the one that commits it (the last).
   */
  async function probe(run: (svc: OrganizationService) => Promise<unknown>) {
    const counter = faulty(null);
    await run(service(counter.stores));
    return {
      steps: counter.calls.length,
      markAt: counter.calls.indexOf('orgs.transition') + 1,
      commitAt: counter.calls.lastIndexOf('orgs.transition') + 1,
    };
  }

  async function createOrg(name: string, email: string) {
    const { org } = await service().create({ name, email, password });
    return { caller: { userId: org.adminId, orgId: org.id }, org };
  }

  const current = async (id: string) => (await stores.orgs.findById(id)) as Organization;

  describe.each(modes)('Interrupted create ($mode)', ({ crash }) => {
    it('converges at every step: a retry succeeds and nothing is orphaned', { timeout: EVERY_STEP_TIMEOUT_MS }, async () => {
      const { steps, commitAt } = await probe((svc) =>
        svc.create({
          name: `probe create ${placementMode} ${crash}`,
          email: `probe-create-${placementMode}-${crash}@x.example`,
          password,
        }),
      );
      expect(steps).toBeGreaterThanOrEqual(5);

      for (let failAt = 1; failAt <= steps; failAt += 1) {
        const name = `create ${placementMode} ${crash ? 'crash' : 'fail'} ${failAt}`;
        const email = `c${placementMode}${crash}${failAt}@x.example`;

        const outcome = await service(faulty({ failAt, crash }).stores)
          .create({ name, email, password })
          .then(
            ({ org }) => org,
            (error: unknown) => error,
          );
        // Once the organization is active the create stands: only the event's mark comes after, and its
        // failure leaves the event for the reconciler.
        if (failAt > commitAt) expect(outcome, `outcome of call ${failAt}`).toMatchObject({ status: 'active' });
        else expect(outcome, `outcome of call ${failAt}`).toBeInstanceOf(InjectedFault);
        if (!crash) expect((await settledState()).problems, `after failing call ${failAt}`).toEqual([]);

        if (failAt <= commitAt) {
          clock.t += LEASE_MS + 1; // a crashed run holds its name until its lease has passed
          const { org } = await service().create({ name, email, password });
          expect(org.status).toBe('active');
          expect(org.placement.mode).toBe(placementMode);
        }
        const state = await expectSettled();
        expect(state.orgs.filter((o) => o.name === name)).toHaveLength(1);
        await wipeOrganizations(); // each check looks at a handful of organizations
      }
    });

    it('converges at every step when only the reconciler runs afterwards', { timeout: EVERY_STEP_TIMEOUT_MS }, async () => {
      const { steps, commitAt } = await probe((svc) =>
        svc.create({
          name: `probe reconcile ${placementMode} ${crash}`,
          email: `probe-rec-${placementMode}-${crash}@x.example`,
          password,
        }),
      );
      for (let failAt = 1; failAt <= steps; failAt += 1) {
        const name = `reconcile ${placementMode} ${crash ? 'crash' : 'fail'} ${failAt}`;
        const created = service(faulty({ failAt, crash }).stores).create({
          name,
          email: `r${placementMode}${crash}${failAt}@x.example`,
          password,
        });
        if (failAt > commitAt) await expect(created).resolves.toBeTruthy();
        else await expect(created).rejects.toThrow(InjectedFault);

        // The reconciler alone: an acknowledged create keeps its organization and its event (committed
        // by the reconciler when its mark was lost); a failed one leaves neither.
        const state = await expectSettled();
        expect(state.orgs.some((o) => o.name === name)).toBe(failAt > commitAt);
        await wipeOrganizations();
      }
    });
  });

  describe.each(modes)('Interrupted rename ($mode)', ({ crash }) => {
    it('converges at every step without losing a document', { timeout: EVERY_STEP_TIMEOUT_MS }, async () => {
      const probed = await createOrg(
        `probe rename ${placementMode} ${crash}`,
        `probe-rename-${placementMode}-${crash}@x.example`,
      );
      const { steps, markAt, commitAt } = await probe((svc) =>
        svc.update(probed.caller, { name: probed.org.name, newName: `probe renamed ${placementMode} ${crash}` }),
      );
      expect(steps).toBeGreaterThanOrEqual(6);

      for (let failAt = 1; failAt <= steps; failAt += 1) {
        seq += 1;
        const from = `rename source ${seq}`;
        const to = `rename target ${seq}`;
        const { caller, org } = await createOrg(from, `rn${seq}@x.example`);
        const docs = Array.from({ length: 10 }, (_, i) => ({ i, payload: `doc ${i} of ${seq}` }));
        await placeCollection(org.placement).insertMany(docs.map((d) => ({ ...d })));

        const outcome = await service(faulty({ failAt, crash }).stores)
          .update(caller, { name: from, newName: to })
          .then(
            () => 'renamed' as const,
            (error: unknown) => error,
          );
        // The clean-up after the commit may fail without failing the request; and once marked, a rename
        // only goes forward: after one failed step the run tries the rest once more.
        if (failAt > commitAt || (!crash && failAt > markAt)) expect(outcome, `outcome of call ${failAt}`).toBe('renamed');
        else expect(outcome, `outcome of call ${failAt}`).toBeInstanceOf(InjectedFault);
        if (crash && outcome !== 'renamed') {
          clock.t += LEASE_MS + 1;
          const done = await service().update(caller, { name: from, newName: to });
          expect(done.name).toBe(to);
        }

        const settled = await expectSettled();
        const after = await current(caller.orgId);
        expect(after.name, `name after call ${failAt}`).toBe(crash || outcome === 'renamed' ? to : from);
        // One event when the rename happened, none when it did not: never lost, never a phantom.
        const renamed = eventsOf(settled, 'organization.renamed', caller.orgId);
        expect(
          renamed.map((e) => (e as { data?: { name?: string } }).data?.name),
          `events after call ${failAt}`,
        ).toEqual(after.name === to ? [to] : []);
        expect(after.placement.mode).toBe(placementMode);
        const kept = await placeCollection(after.placement)
          .find({}, { projection: { _id: 0 } })
          .sort({ i: 1 })
          .toArray();
        expect(kept, `documents after call ${failAt}`).toEqual(docs);
        await wipeOrganizations(); // each check looks at a handful of organizations
      }
    });
  });

  const other = placementMode === 'collection' ? 'database' : 'collection';

  describe.each(modes)(`Interrupted move to ${other} mode ($mode)`, ({ crash }) => {
    it('converges at every step without losing a document or a record', { timeout: EVERY_STEP_TIMEOUT_MS }, async () => {
      const probed = await createOrg(`probe move ${placementMode} ${crash}`, `probe-move-${placementMode}-${crash}@x.example`);
      const { steps, markAt, commitAt } = await probe((svc) => svc.move({ id: probed.org.id }, other));
      expect(steps).toBeGreaterThanOrEqual(5);

      for (let failAt = 1; failAt <= steps; failAt += 1) {
        seq += 1;
        const name = `move me ${seq}`;
        const { caller, org } = await createOrg(name, `mv${seq}@x.example`);
        // Documents put there by other means, and records written through the records service.
        const docs = Array.from({ length: 10 }, (_, i) => ({ i, payload: `doc ${i} of ${seq}` }));
        await placeCollection(org.placement).insertMany(docs.map((d) => ({ ...d })));
        const recordStore = new MongoRecordStore(testClient());
        const records = new RecordsService({ orgs: stores.orgs, records: recordStore, releasePlace: async () => {}, cacheMs: 0 });
        const written = await Promise.all(Array.from({ length: 5 }, (_, i) => records.create(caller, { n: i, seq })));

        const outcome = await service(faulty({ failAt, crash }).stores)
          .move({ id: org.id }, other)
          .then(
            () => 'moved' as const,
            (error: unknown) => error,
          );
        // One failed call is retried by the job (or refuses the start): never a failed move.
        if (!crash && outcome !== 'moved') expect(outcome, `outcome at call ${failAt}`).toBeInstanceOf(InjectedFault);
        if (!crash && failAt > commitAt) expect(outcome).toBe('moved');
        // After a crash, the job resumes once its lease has lapsed (the reconciler's sweep wakes it).
        clock.t += LEASE_MS + 1;
        await service().reconcile();
        await finishJobsOf(org.id);
        const marked = (await stores.jobs.listByOrg(org.id, 10)).length > 0 && failAt > markAt;
        if (crash && marked) expect((await current(org.id)).placement.mode, `mode after a crash at call ${failAt}`).toBe(other);
        expect((await stores.jobs.listByOrg(org.id, 10)).every((j) => j.state !== 'queued' && j.state !== 'running')).toBe(true);

        const settled = await expectSettled();
        const after = await current(org.id);
        expect(eventsOf(settled, 'organization.moved', org.id), `events after call ${failAt}`).toHaveLength(
          after.placement.mode === other ? 1 : 0,
        );
        if (outcome === 'moved') expect(after.placement.mode, `mode after call ${failAt}`).toBe(other);
        if (after.placement.mode === other) expect(await placeExists(org.placement), 'old place').toBe(false);
        const kept = await placeCollection(after.placement)
          .find({ i: { $exists: true } }, { projection: { _id: 0 } })
          .sort({ i: 1 })
          .toArray();
        expect(kept, `documents after call ${failAt}`).toEqual(docs);
        const listed = await records.list(caller, { filter: {}, limit: 100 });
        expect(listed.records.map((r) => r.id).sort(), `records after call ${failAt}`).toEqual(written.map((r) => r.id).sort());
        expect(listed.records.map((r) => r.data).sort((a, b) => Number(a.n) - Number(b.n))).toEqual(written.map((r) => r.data));
        await wipeOrganizations(); // each check looks at a handful of organizations
      }
    });
  });

  describe.each(modes)('Interrupted delete ($mode)', ({ crash }) => {
    it('converges at every step: a retry archives it, and its purge then removes it', {
      timeout: EVERY_STEP_TIMEOUT_MS,
    }, async () => {
      const probed = await createOrg(
        `probe delete ${placementMode} ${crash}`,
        `probe-delete-${placementMode}-${crash}@x.example`,
      );
      const { steps } = await probe((svc) => svc.delete(probed.caller, probed.org.name));
      expect(steps).toBeGreaterThanOrEqual(5);

      for (let failAt = 1; failAt <= steps; failAt += 1) {
        seq += 1;
        const name = `delete me ${seq}`;
        const { caller, org } = await createOrg(name, `del${seq}@x.example`);
        await placeCollection(org.placement).insertOne({ data: true });

        // Most faults stop the delete; one is absorbed (a lock release that fails lapses with its lease).
        await service(faulty({ failAt, crash }).stores)
          .delete(caller, name)
          .catch((error) => {
            if (!(error instanceof InjectedFault)) throw error;
          });
        // A crashed run holds the organization's lock until its lease has passed (a retry meanwhile: 409).
        if (crash) clock.t += LEASE_MS + 1;
        await service().delete(caller, name);

        const state = await expectSettled();
        expect(state.orgs.find((o) => o.name === name)?.status, `status after call ${failAt}`).toBe('archived');
        expect(eventsOf(state, 'organization.archived', org.id), `events after call ${failAt}`).toHaveLength(1);
        expect(eventsOf(state, 'organization.created', org.id)).toHaveLength(1);
        expect(await placeExists(org.placement)).toBe(true);
        await expect(service().create({ name, email: `other${seq}@x.example`, password })).rejects.toMatchObject({
          code: 'organization_name_taken',
        });

        await service().purge(org.id);
        expect(await placeExists(org.placement)).toBe(false);
        expect(
          await masterDb()
            .collection('admins')
            .countDocuments({ orgId: new ObjectId(org.id) }),
        ).toBe(0);
        await expect(service().create({ name, email: `del${seq}@x.example`, password })).resolves.toBeTruthy();
        await wipeOrganizations(); // each check looks at a handful of organizations
      }
    });
  });
}
