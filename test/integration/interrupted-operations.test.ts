import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { ensureMasterIndexes, mongoOrgStores } from '#core/mongo/stores.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { collectionPlacement } from '#core/tenancy/router.ts';
import { closeClientsAfterAll, masterDb, settledState, tenantDb, testClient } from '../support/db.ts';

/**
 * Create, rename and delete interrupted at every store call they make, in two ways:
 * - "fail": that one call throws and the service's own compensation runs;
 * - "crash": that call and every later one throw, as if the container died there.
 * Afterwards a retry (or the reconciler, once the lease has passed) must converge: every org settled,
 * nothing orphaned, no document lost.
 */

closeClientsAfterAll();

const LEASE_MS = 60_000;
const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
const hasher = createPasswordHasher(4);
let stores: OrgStores;

beforeAll(async () => {
  await ensureMasterIndexes(testClient(), process.env.MASTER_DB_NAME ?? '');
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '');
});

class InjectedFault extends Error {}

/** The real stores, with call number `failAt` (1-based) failing; with `crash`, every later call too. */
function faulty(plan: { failAt: number; crash: boolean } | null) {
  let calls = 0;
  const wrap = <T extends object>(store: T, storeName: string): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls += 1;
          if (plan && (calls === plan.failAt || (plan.crash && calls > plan.failAt))) {
            return Promise.reject(new InjectedFault(`fault at call ${calls} (${storeName}.${String(key)})`));
          }
          return value.apply(target, args);
        };
      },
    });
  const wrapped: OrgStores = {
    orgs: wrap(stores.orgs, 'orgs'),
    names: wrap(stores.names, 'names'),
    admins: wrap(stores.admins, 'admins'),
    tenants: wrap(stores.tenants, 'tenants'),
    sessions: wrap(stores.sessions, 'sessions'),
  };
  return { stores: wrapped, calls: () => calls };
}

function service(s: OrgStores = stores) {
  return new OrganizationService({
    stores: s,
    hasher,
    placementFor: (slug) => collectionPlacement(process.env.TENANT_DB_NAME ?? '', slug),
    leaseMs: LEASE_MS,
    now: () => new Date(clock.t),
  });
}

async function expectSettled() {
  clock.t += LEASE_MS + 1;
  await service().reconcile();
  const state = await settledState();
  expect(state.problems).toEqual([]);
  return state;
}

async function callsOf(run: (svc: OrganizationService) => Promise<unknown>): Promise<number> {
  const counter = faulty(null);
  await run(service(counter.stores));
  return counter.calls();
}

const modes = [
  { mode: 'fail', crash: false },
  { mode: 'crash', crash: true },
] as const;

const password = 'interrupted pw';
let seq = 0;

async function createOrg(name: string, email: string) {
  const { org } = await service().create({ name, email, password });
  return { caller: { adminId: org.adminId, orgId: org.id }, org };
}

describe.each(modes)('Interrupted create ($mode)', ({ crash }) => {
  it('converges at every step: a retry succeeds and nothing is orphaned', async () => {
    const steps = await callsOf((svc) =>
      svc.create({ name: `probe create ${crash}`, email: `probe-create-${crash}@x.example`, password }),
    );
    expect(steps).toBeGreaterThanOrEqual(5);

    for (let failAt = 1; failAt <= steps; failAt += 1) {
      const name = `create ${crash ? 'crash' : 'fail'} ${failAt}`;
      const email = `c${crash}${failAt}@x.example`;

      await expect(service(faulty({ failAt, crash }).stores).create({ name, email, password })).rejects.toThrow(InjectedFault);
      if (!crash) expect((await settledState()).problems, `after failing call ${failAt}`).toEqual([]);

      clock.t += LEASE_MS + 1; // a crashed run holds its name until its lease has passed
      const { org } = await service().create({ name, email, password });
      expect(org.status).toBe('active');
      const state = await expectSettled();
      expect(state.orgs.filter((o) => o.name === name)).toHaveLength(1);
    }
  });

  it('converges at every step when only the reconciler runs afterwards', async () => {
    const steps = await callsOf((svc) =>
      svc.create({ name: `probe reconcile ${crash}`, email: `probe-rec-${crash}@x.example`, password }),
    );
    for (let failAt = 1; failAt <= steps; failAt += 1) {
      const name = `reconcile ${crash ? 'crash' : 'fail'} ${failAt}`;
      await expect(
        service(faulty({ failAt, crash }).stores).create({ name, email: `r${crash}${failAt}@x.example`, password }),
      ).rejects.toThrow(InjectedFault);

      const state = await expectSettled();
      expect(state.orgs.some((o) => o.name === name)).toBe(false);
    }
  });
});

describe.each(modes)('Interrupted rename ($mode)', ({ crash }) => {
  it('converges at every step without losing a document', async () => {
    const probe = await createOrg(`probe rename ${crash}`, `probe-rename-${crash}@x.example`);
    const steps = await callsOf((svc) => svc.update(probe.caller, { name: probe.org.name, newName: `probe renamed ${crash}` }));
    expect(steps).toBeGreaterThanOrEqual(6);

    for (let failAt = 1; failAt <= steps; failAt += 1) {
      seq += 1;
      const from = `rename source ${seq}`;
      const to = `rename target ${seq}`;
      const { caller } = await createOrg(from, `rn${seq}@x.example`);
      const docs = Array.from({ length: 50 }, (_, i) => ({ i, payload: `doc ${i} of ${seq}` }));
      await tenantDb()
        .collection(`org_rename_source_${seq}`)
        .insertMany(docs.map((d) => ({ ...d })));

      const outcome = await service(faulty({ failAt, crash }).stores)
        .update(caller, { name: from, newName: to })
        .then(
          () => 'renamed' as const,
          (error: unknown) => error,
        );
      // Only the last call, freeing the old name after the commit, may fail without failing the request.
      if (outcome === 'renamed') expect(failAt).toBe(steps);
      else expect(outcome).toBeInstanceOf(InjectedFault);
      if (crash && outcome !== 'renamed') {
        clock.t += LEASE_MS + 1;
        const done = await service().update(caller, { name: from, newName: to });
        expect(done.name).toBe(to);
      }

      const state = await expectSettled();
      const org = state.orgs.find((o) => o._id.toHexString() === caller.orgId);
      expect(org?.name, `name after call ${failAt}`).toBe(crash || outcome === 'renamed' ? to : from);
      const kept = await tenantDb()
        .collection(org?.placement.collection)
        .find({}, { projection: { _id: 0 } })
        .sort({ i: 1 })
        .toArray();
      expect(kept, `documents after call ${failAt}`).toEqual(docs);
    }
  });
});

describe.each(modes)('Interrupted delete ($mode)', ({ crash }) => {
  it('converges at every step: a retry finishes the delete', async () => {
    const probe = await createOrg(`probe delete ${crash}`, `probe-delete-${crash}@x.example`);
    const steps = await callsOf((svc) => svc.delete(probe.caller, probe.org.name));
    expect(steps).toBeGreaterThanOrEqual(5);

    for (let failAt = 1; failAt <= steps; failAt += 1) {
      seq += 1;
      const name = `delete me ${seq}`;
      const { caller, org } = await createOrg(name, `del${seq}@x.example`);
      await tenantDb().collection(org.placement.collection).insertOne({ data: true });

      await expect(service(faulty({ failAt, crash }).stores).delete(caller, name)).rejects.toThrow(InjectedFault);
      await service().delete(caller, name);

      const state = await expectSettled();
      expect(state.orgs.some((o) => o.name === name)).toBe(false);
      expect(state.collections).not.toContain(org.placement.collection);
      expect(
        await masterDb()
          .collection('admins')
          .countDocuments({ orgId: new ObjectId(org.id) }),
      ).toBe(0);
      await expect(service().create({ name, email: `del${seq}@x.example`, password })).resolves.toBeTruthy();
    }
  });
});
