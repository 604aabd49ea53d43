import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { eventProblems, masterDb, placeCollection, placeExists, testClient, useTestDatabase } from '../support/db.ts';
import { addMember } from '../support/members.ts';

/**
 * A purge interrupted at every store call it makes (as interrupted-events.test.ts does for the
 * member changes): "crash", that call and every later one throw, as if the worker died there (at
 * every call); "fail", that one call throws (at every third call). Then the reconciler and a job worker take over. Whatever the point, the
 * organization ends gone, with everything it had, and one committed `organization.purged` whose
 * counts are those of an uninterrupted purge: counted once, before anything was removed.
 */

useTestDatabase();

const LEASE_MS = 60_000;
const clock = { t: Date.parse('2026-03-01T00:00:00Z') };
const now = () => new Date(clock.t);
const hasher = createPasswordHasher(4);
const password = 'purge password 1';

class InjectedFault extends Error {}

let real: OrgStores;
beforeAll(() => {
  const tenantDb = process.env.TENANT_DB_NAME ?? '';
  real = mongoOrgStores(testClient(), masterDb().databaseName, new PlacementPolicy(tenantDb, 'collection'));
});

/** The stores with call `failAt` failing (and, with `crash`, every later one); `calls` lists them. */
function faulty(plan: { failAt: number; crash: boolean } | null) {
  const calls: string[] = [];
  const wrap = <T extends object>(store: T, name: string): T =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(key)}`);
          const n = calls.length;
          if (plan && (n === plan.failAt || (plan.crash && n > plan.failAt))) {
            return Promise.reject(new InjectedFault(`fault at call ${n} (${name}.${String(key)})`));
          }
          return value.apply(target, args);
        };
      },
    });
  const stores = Object.fromEntries(
    Object.entries(real).map(([name, s]) => [name, wrap(s as object, name)]),
  ) as unknown as OrgStores;
  return { stores, calls };
}

const service = (stores: OrgStores = real) =>
  new OrganizationService({
    stores,
    hasher,
    placements: new PlacementPolicy(process.env.TENANT_DB_NAME ?? '', 'collection', collectionLabel),
    leaseMs: LEASE_MS,
    now,
    jobs: { maxAttempts: 1 },
  });

let serial = 0;

/** An archived organization past its window: 3 records, an owner and a member, ready to purge. */
async function archivedOrg() {
  serial += 1;
  const name = `Interrupted Purge ${serial}`;
  const email = `owner-${serial}@interrupted-purge.example`;
  const { org } = await service().create({ name, email, password });
  await placeCollection(org.placement).insertMany([1, 2, 3].map((n) => ({ n, gen: org.placement.gen })));
  await addMember(org.id, `member-${serial}@interrupted-purge.example`, 'member');
  await service().delete({ userId: org.adminId, orgId: org.id }, name);
  clock.t += 31 * 86_400_000; // past the window
  return org;
}

/** The purge as a worker runs it, step by step, straight over `stores`. */
async function purgeOver(stores: OrgStores, orgId: string) {
  const svc = service(stores);
  await svc.startPurge(orgId, 'retention');
  for (;;) if ((await svc.purgeStep(orgId)).done) return;
}

/** What the reconciler and the worker do after a failure: every due purge gets its job, which runs. */
async function recover() {
  clock.t += LEASE_MS + 1; // later: a lock the dead run held has lapsed with its lease
  const svc = service();
  await svc.reconcile();
  for (const job of await svc.jobs.list(100, ['queued'])) await svc.jobs.work(job.id);
}

async function expectGone(org: Awaited<ReturnType<typeof archivedOrg>>, label: string) {
  const oid = new ObjectId(org.id);
  expect(await masterDb().collection(C.organizations).countDocuments({ _id: oid }), label).toBe(0);
  expect(await placeExists(org.placement), label).toBe(false);
  expect(await masterDb().collection(C.memberships).countDocuments({ orgId: oid }), label).toBe(0);
  expect(await masterDb().collection(C.nameClaims).countDocuments({ orgId: oid }), label).toBe(0);
  expect(
    await masterDb()
      .collection(C.admins)
      .countDocuments({ email: new RegExp(`-${org.name.split(' ').pop()}@`) }),
    label,
  ).toBe(0);
  const purged = await masterDb().collection(C.events).find({ orgId: org.id, type: 'organization.purged' }).toArray();
  expect(
    purged.map((e) => e.state),
    label,
  ).toEqual(['committed']);
  return purged[0]?.data as Record<string, unknown>;
}

/** The counts of a purge, without what names this organization. */
const countsOf = (data: Record<string, unknown>) => {
  const { name: _name, archived_at: _at, places, ...rest } = data;
  return { ...rest, places: (places as { documents: number }[]).map((p) => p.documents) };
};

describe('A purge interrupted at every store call', () => {
  it('completes with the counts of an uninterrupted purge, whichever call failed or crashed', async () => {
    const baselineOrg = await archivedOrg();
    const baseline = faulty(null);
    await purgeOver(baseline.stores, baselineOrg.id);
    const expected = countsOf(await expectGone(baselineOrg, 'baseline'));
    expect(expected).toMatchObject({
      users_removed: 2,
      places_dropped: 1,
      places: [3],
      documents: { memberships: 2, org_names: 1 },
    });
    const total = baseline.calls.length;
    expect(total).toBeGreaterThan(15);

    // Every call crashed; every third failed alone (a failure is a crash the run survives, so fewer suffice).
    for (const crash of [true, false]) {
      for (let failAt = 1; failAt <= total; failAt += crash ? 1 : 3) {
        const label = `${crash ? 'crash' : 'fail'} at call ${failAt} of ${total}`;
        const org = await archivedOrg();
        const run = faulty({ failAt, crash });
        // Most faults stop the run; a few are absorbed on the way (a lock release that fails lapses with its lease).
        await purgeOver(run.stores, org.id).catch((error) => {
          if (!(error instanceof InjectedFault)) throw error;
        });
        expect(run.calls.length, label).toBeGreaterThanOrEqual(failAt);

        await recover();

        expect(countsOf(await expectGone(org, label)), label).toEqual(expected);
      }
    }
    expect((await eventProblems()).problems).toEqual([]);
  }, 600_000);
});
