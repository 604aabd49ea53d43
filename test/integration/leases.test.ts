import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { ConflictError } from '#core/errors.ts';
import { problemResponse } from '#core/http/problem.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { type Organization, PLACEMENT_MODES, type PlacementMode, samePlace } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { RecordsService } from '#core/records/service.ts';
import {
  dropTenantDatabasesAfterAll,
  masterDb,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
  wipeOrganizations,
} from '../support/db.ts';
import { type Gate, gate } from '../support/gate.ts';

/**
 * An operation that runs longer than its lease (a slowed store) is never taken over while its owner
 * renews the lease: every contender (an organization route, a records write, the reconciler) gets
 * the documented answer and the owner finishes. Once the owner stops renewing (frozen, or every
 * renewal failing), a contender takes over, and the old owner's later changes are refused by the
 * fencing token: it can neither commit nor undo anything, and no data is lost.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

const LEASE_MS = 900;
const password = 'lease password';
const hasher = createPasswordHasher(4);
let stores: OrgStores;

beforeAll(async () => {
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const other = (mode: PlacementMode): PlacementMode => (mode === 'collection' ? 'database' : 'collection');

type Heartbeat = 'renewing' | 'frozen' | 'failing';

/**
 * The stores as the owner sees them: its first call of `method` held at `g`, and its heartbeat (the
 * operation lock's renewals, and a job's) as said.
 */
function ownerStores(store: 'tenants', method: 'copyBatch' | 'renameCollection', g: Gate, heartbeat: Heartbeat): OrgStores {
  const tenants = new Proxy(stores[store], {
    get: (target, key) => {
      const value = Reflect.get(target, key);
      if (key !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        await g.pass();
        return value.apply(target, args);
      };
    },
  });
  const beating = <T extends object>(base: T): T =>
    new Proxy(base, {
      get: (target, key) => {
        const value = Reflect.get(target, key);
        if (key !== 'renew' || heartbeat === 'renewing') return typeof value === 'function' ? value.bind(target) : value;
        if (heartbeat === 'frozen') return () => new Promise(() => {}); // never answers: the owner is frozen
        return () => Promise.reject(new Error('renewal failed'));
      },
    });
  return { ...stores, tenants, locks: beating(stores.locks), jobs: beating(stores.jobs) };
}

const service = (s: OrgStores, mode: PlacementMode) =>
  new OrganizationService({ stores: s, hasher, placements: testPlacements(mode), leaseMs: LEASE_MS });

describe.each(PLACEMENT_MODES)('Operations longer than their lease (%s mode)', (mode: PlacementMode) => {
  const records = () =>
    new RecordsService({
      orgs: stores.orgs,
      records: new MongoRecordStore(testClient()),
      releasePlace: async () => {},
      recoverAbandoned: (orgId) => service(stores, mode).recoverAbandoned(orgId),
      cacheMs: 0,
    });

  async function setUp(name: string) {
    const { org } = await service(stores, mode).create({ name, email: `${name.replaceAll(' ', '-')}@lease.example`, password });
    const caller = { userId: org.adminId, orgId: org.id };
    const written = await Promise.all(Array.from({ length: 5 }, (_, n) => records().create(caller, { n })));
    return { org, caller, written };
  }

  async function expectRecords(caller: { userId: string; orgId: string }, ids: string[]) {
    const page = await records().list(caller, { filter: {}, limit: 100 });
    expect(page.records.map((r) => r.id).sort()).toEqual([...ids].sort());
  }

  it('a live move keeps its lease past the lease time; contenders get 409 and 503 and the reconciler waits', async () => {
    const { org, caller, written } = await setUp(`slow move ${mode}`);
    const copying = gate();
    const move = service(ownerStores('tenants', 'copyBatch', copying, 'renewing'), mode).move({ id: org.id }, other(mode));
    await copying.reached;
    await sleep(LEASE_MS * 2); // the operation is older than its lease; its worker renews the job's lease
    const owner = ((await stores.orgs.findById(org.id)) as Organization).operation;

    const contender = service(stores, mode);
    const update = await contender.update(caller, { name: org.name, newName: `slow moved ${mode}` }).catch((e) => e);
    const del = await contender.delete(caller, org.name).catch((e) => e);
    const write = await records()
      .create(caller, { late: true })
      .catch((e) => e);
    const report = await contender.reconcile();

    expect(update).toBeInstanceOf(ConflictError);
    expect(update.code).toBe('operation_in_progress');
    expect(problemResponse(update).headers).toMatchObject({ 'retry-after': '1' });
    expect(del).toBeInstanceOf(ConflictError);
    expect(write).toMatchObject({ name: 'UnavailableError', code: 'organization_migrating', retryAfterSeconds: 1 });
    expect(report.failures).toEqual([]);
    expect(await stores.orgs.findById(org.id)).toMatchObject({ status: 'moving', operation: owner });

    copying.release();
    const moved = await move;
    expect(moved.placement.mode).toBe(other(mode));
    expect(await placeExists(org.placement)).toBe(false);
    await expectRecords(
      caller,
      written.map((r) => r.id),
    );
    expect((await settledState()).problems).toEqual([]);
  });

  it.each(['frozen', 'failing'] as const)(
    'a move whose worker stops renewing (%s) is taken over by another worker after the lease, and the old worker writes nothing more',
    async (heartbeat) => {
      const { org, caller, written } = await setUp(`stalled move ${mode} ${heartbeat}`);
      const copying = gate();
      const owner = service(ownerStores('tenants', 'copyBatch', copying, heartbeat), mode);
      const stalled = owner.move({ id: org.id }, other(mode)).catch((e) => e);
      await copying.reached;
      const marked = ((await stores.orgs.findById(org.id)) as Organization).operation;
      const jobId = marked?.kind === 'move' ? (marked.jobId ?? '') : '';
      await sleep(LEASE_MS * 1.5);

      // The reconciler's sweep wakes the job; another worker takes it over and finishes it.
      const contender = service(stores, mode);
      expect((await contender.reconcile()).jobsWoken).toBe(1);
      expect(await contender.jobs.work(jobId)).toBe('succeeded');
      const after = (await stores.orgs.findById(org.id)) as Organization;
      expect(after).toMatchObject({ status: 'active', placement: { mode: other(mode) } });
      expect(marked?.kind === 'move' && samePlace(after.placement, marked.to)).toBe(true);
      const records = (await contender.jobs.get(jobId))?.result?.documents;

      copying.release(); // the old worker wakes up: its lease is gone, so it writes nothing and stops
      await stalled;
      const final = (await stores.orgs.findById(org.id)) as Organization;
      expect(final.placement).toEqual(after.placement);
      expect(await placeExists(org.placement)).toBe(false);
      expect(records).toBe(written.length);
      await expectRecords(
        caller,
        written.map((r) => r.id),
      );
      expect((await settledState()).problems).toEqual([]);
    },
  );

  it('a rename whose owner froze after marking it is finished by the next request; the old owner changes nothing', async () => {
    const { org, caller, written } = await setUp(`stalled rename ${mode}`);
    const moving = gate();
    // In database mode a rename moves nothing: hold the owner at its commit instead.
    const held: OrgStores =
      mode === 'collection'
        ? ownerStores('tenants', 'renameCollection', moving, 'frozen')
        : {
            ...ownerStores('tenants', 'renameCollection', gate(), 'frozen'),
            orgs: new Proxy(stores.orgs, {
              get: (target, key) => {
                const value = Reflect.get(target, key);
                if (key !== 'transition') return typeof value === 'function' ? value.bind(target) : value;
                return async (...args: Parameters<typeof target.transition>) => {
                  if (args[2].status === 'active') await moving.pass(); // its commit
                  return target.transition(...args);
                };
              },
            }),
          };
    const stalled = service(held, mode)
      .update(caller, { name: org.name, newName: `renamed by another ${mode}` })
      .catch((e) => e);
    await moving.reached;
    await sleep(LEASE_MS * 1.5);

    // The admin, meanwhile, changes nothing but asks by the name it knows: the dead rename is finished first.
    const done = await service(stores, mode).update(caller, { name: org.name });
    expect(done).toMatchObject({ name: `renamed by another ${mode}`, status: 'active' });

    moving.release();
    const outcome = await stalled;
    // The old owner's run ends with the rename done (by the run that took it over), or 409; never undone.
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ConflictError);
    else expect(outcome).toMatchObject({ name: `renamed by another ${mode}` });
    const final = (await stores.orgs.findById(org.id)) as Organization;
    expect(final).toMatchObject({ name: `renamed by another ${mode}`, status: 'active' });
    expect(
      await masterDb()
        .collection('org_names')
        .findOne({ _id: final.slug as never }),
    ).toMatchObject({ orgId: new ObjectId(org.id) });
    await expectRecords(
      caller,
      written.map((r) => r.id),
    );
    expect((await settledState()).problems).toEqual([]);
    await wipeOrganizations();
  });
});

describe('The lock store over the wire', () => {
  it('releases a lapsed lock only while it stays lapsed, and only for its holder', async () => {
    const orgId = new ObjectId().toHexString();
    const startedAt = new Date(Date.now() - 10_000);
    expect(await stores.locks.acquire({ orgId, lockId: 'silent', kind: 'update', startedAt })).toBe(true);
    const cutOff = new Date(Date.now() - 5_000);

    expect(await stores.locks.releaseLapsed(orgId, 'another', cutOff)).toBe(false); // not the holder
    expect(await stores.locks.renew(orgId, 'silent', new Date())).toBe(true); // its heartbeat lands
    expect(await stores.locks.releaseLapsed(orgId, 'silent', cutOff)).toBe(false); // alive again: kept
    expect((await stores.locks.find(orgId))?.lockId).toBe('silent');

    expect(await stores.locks.releaseLapsed(orgId, 'silent', new Date(Date.now() + 1_000))).toBe(true);
    expect(await stores.locks.find(orgId)).toBeNull();
    // Never renewed: judged by when it started.
    expect(await stores.locks.acquire({ orgId, lockId: 'fresh', kind: 'move', startedAt: new Date() })).toBe(true);
    expect(await stores.locks.releaseLapsed(orgId, 'fresh', cutOff)).toBe(false);
    expect(await stores.locks.releaseLapsed(orgId, 'fresh', new Date(Date.now() + 1_000))).toBe(true);
  });
});
