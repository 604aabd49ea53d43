import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { PLACEMENT_MODES, type PlacementMode, samePlace } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { RecordsService } from '#core/records/service.ts';
import {
  dropTenantDatabasesAfterAll,
  eventProblems,
  masterDb,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
  wipeOrganizations,
} from '../support/db.ts';

/**
 * A run killed after its commit (the organization is active under its new name) owes the cleanup:
 * the old name claim, the old place, its lock. The next request that meets the organization finishes
 * it once the run's lease has lapsed, whichever request it is, without waiting for the reconciler.
 * The crash is injected by wrapping the stores: the commit goes through, every later call fails, as
 * if the container died right after it.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

const LEASE_MS = 60_000;
const clock = { t: Date.parse('2026-03-01T00:00:00Z') };
const hasher = createPasswordHasher(4);
const password = 'owed cleanup pw';
let stores: OrgStores;
let seq = 0;

class Killed extends Error {}

/** The real stores; once a rename commits (its `renaming` → `active` transition), every later call fails. */
function killedAfterCommit(): OrgStores {
  let dead = false;
  const wrap = <T extends object>(store: T, storeName: string): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (dead) throw new Killed(`killed before ${storeName}.${String(key)}`);
          const result = await value.apply(target, args);
          const [, from, changes] = args as [string, string[], { status?: string }];
          if (storeName === 'orgs' && key === 'transition' && from?.includes('renaming') && changes?.status === 'active') {
            dead = true;
          }
          return result;
        };
      },
    });
  return Object.fromEntries(Object.entries(stores).map(([name, store]) => [name, wrap(store, name)])) as OrgStores;
}

beforeAll(async () => {
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
});

beforeEach(async () => {
  await wipeOrganizations();
});

describe.each(PLACEMENT_MODES)('A rename killed after its commit (%s mode)', (mode: PlacementMode) => {
  const service = (s: OrgStores = stores) =>
    new OrganizationService({
      stores: s,
      hasher,
      placements: testPlacements(mode),
      leaseMs: LEASE_MS,
      now: () => new Date(clock.t),
    });

  /** An organization renamed by a run killed right after its commit; what it owes is on the document. */
  async function renamedThenKilled() {
    seq += 1;
    const from = `Owed Source ${mode} ${seq}`;
    const to = `Owed Target ${mode} ${seq}`;
    const { org } = await service().create({ name: from, email: `owed-${mode}-${seq}@owed.example`, password });
    const caller = { userId: org.adminId, orgId: org.id };
    // What the killed run answers does not matter (it never answers); only what it left behind.
    await service(killedAfterCommit())
      .update(caller, { name: from, newName: to })
      .catch((error: unknown) => expect(error).toBeInstanceOf(Killed));
    const committed = await stores.orgs.findById(org.id);
    expect(committed).toMatchObject({ status: 'active', name: to });
    expect(committed?.operation).toBeUndefined();
    return { org, caller, from, to };
  }

  /** Nothing left behind: no owed record, no lock, no old name, no old place; events settled. */
  async function expectFinished(org: { id: string; slug: string; placement: Parameters<typeof placeExists>[0] }) {
    const after = await stores.orgs.findById(org.id);
    expect(after?.owed).toBeUndefined();
    expect(await masterDb().collection('org_locks').countDocuments()).toBe(0);
    expect(await stores.names.find(org.slug)).toBeNull();
    if (after && !samePlace(after.placement, org.placement)) expect(await placeExists(org.placement)).toBe(false);
    expect((await settledState()).problems).toEqual([]);
    expect((await eventProblems()).problems).toEqual([]);
  }

  it('the next look-up by name (GET /org/get) finishes it once the lease has lapsed', async () => {
    const { org, to } = await renamedThenKilled();
    expect(await stores.names.find(org.slug)).not.toBeNull(); // owed while the run might be alive

    clock.t += LEASE_MS + 1;
    expect((await service().get(to)).name).toBe(to);

    await expectFinished(org);
  });

  it('the same change again finishes it', async () => {
    const { org, caller, to } = await renamedThenKilled();

    clock.t += LEASE_MS + 1;
    expect((await service().update(caller, { name: to, newName: to })).name).toBe(to);

    await expectFinished(org);
  });

  it('a records write finishes it and is applied', async () => {
    const { org, caller } = await renamedThenKilled();
    const svc = service();
    const records = new RecordsService({
      orgs: stores.orgs,
      records: new MongoRecordStore(testClient()),
      releasePlace: async () => {},
      recoverAbandoned: (id) => svc.recoverAbandoned(id),
      cacheMs: 0,
    });

    clock.t += LEASE_MS + 1;
    const written = await records.create(caller, { after: 'the rename' });

    expect((await records.get(caller, written.id)).data).toEqual({ after: 'the rename' });
    await expectFinished(org);
  });

  it('a sign-up of the old name takes it and finishes the rest', async () => {
    const { org, from } = await renamedThenKilled();

    clock.t += LEASE_MS + 1;
    const { org: other } = await service().create({ name: from, email: `taker-${mode}-${seq}@owed.example`, password });

    expect(other.slug).toBe(org.slug);
    expect(await masterDb().collection('org_locks').countDocuments()).toBe(0);
    expect((await stores.orgs.findById(org.id))?.owed).toBeUndefined();
    expect((await settledState()).problems).toEqual([]);
  });

  it('a request within the lease leaves it to the run, which may be alive', async () => {
    const { org, to } = await renamedThenKilled();

    await service().get(to);

    expect((await stores.orgs.findById(org.id))?.owed).toMatchObject({ names: [org.slug] });
    expect(await stores.names.find(org.slug)).not.toBeNull();
    clock.t += LEASE_MS + 1;
    await service().reconcile(); // the reconciler pays it as well
    await expectFinished(org);
  });

  it('a run that is not killed leaves nothing owed', async () => {
    seq += 1;
    const { org } = await service().create({
      name: `Owed None ${mode} ${seq}`,
      email: `none-${mode}-${seq}@owed.example`,
      password,
    });
    const renamed = await service().update(
      { userId: org.adminId, orgId: org.id },
      { name: org.name, newName: `Owed None Renamed ${mode} ${seq}` },
    );

    expect(renamed.name).toBe(`Owed None Renamed ${mode} ${seq}`);
    await expectFinished(org);
  });
});
