import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { PLACEMENT_MODES, type Placement, type PlacementMode, samePlace } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { RecordsService } from '#core/records/service.ts';
import type { RecordStore } from '#core/records/stores.ts';
import {
  dropTenantDatabasesAfterAll,
  placeCollection,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
} from '../support/db.ts';
import { type Gate, gate } from '../support/gate.ts';

/**
 * A clean-up that removes what a late write left behind (a stray record, the place it re-created)
 * runs without the organization's lock, so the organization may rename or move meanwhile. It must
 * never touch the organization's live data, even when the data comes back to where it was before
 * (a rename A -> B -> A, a move there and back) between the clean-up's check and its removal.
 * Each test holds the clean-up at that point with a gate, changes the placement back, and lets it go.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

const password = 'place reuse password';
const hasher = createPasswordHasher(4);
let stores: OrgStores;

beforeAll(async () => {
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
});

/** The record store with `method` held at `g` (before it runs). */
function held(base: RecordStore, method: keyof RecordStore, g: Gate): RecordStore {
  return new Proxy(base, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        await g.pass();
        return value.apply(target, args);
      };
    },
  });
}

const other = (mode: PlacementMode): PlacementMode => (mode === 'collection' ? 'database' : 'collection');

describe.each(PLACEMENT_MODES)('A late write clean-up while the data comes back to a place it had (%s mode)', (mode) => {
  const orgs = () => new OrganizationService({ stores, hasher, placements: testPlacements(mode), leaseMs: 60_000 });
  const base = new MongoRecordStore(testClient());

  /** Renames there and back in collection mode; moves to the other mode and back in database mode. */
  async function awayAndBack(orgId: string, names: [string, string, string]) {
    const caller = { userId: '', orgId };
    const svc = orgs();
    if (mode === 'collection') {
      const admin = (await stores.orgs.findById(orgId))?.adminId ?? '';
      const as = { ...caller, userId: admin };
      await svc.update(as, { name: names[0], newName: names[1] });
      return { back: () => svc.update(as, { name: names[1], newName: names[2] }).then(() => undefined) };
    }
    await svc.move({ id: orgId }, other(mode));
    return { back: () => svc.move({ id: orgId }, mode).then(() => undefined) };
  }

  async function setUp(name: string) {
    const { org } = await orgs().create({ name, email: `${name.replaceAll(' ', '-')}@reuse.example`, password });
    return { org, caller: { userId: org.adminId, orgId: org.id } };
  }

  async function liveRecords(orgId: string) {
    const org = await stores.orgs.findById(orgId);
    if (!org) throw new Error('organization gone');
    return (await placeCollection(org.placement).find({}).toArray()).map((d) => (d._id as ObjectId).toHexString()).sort();
  }

  it('the removal of the place a late insert re-created never drops the live data', async () => {
    const { org, caller } = await setUp(`drop race ${mode}`);
    const insertGate = gate(false);
    const dropGate = gate(false);
    const records = new RecordsService({
      orgs: stores.orgs,
      records: held(base, 'insert', insertGate),
      releasePlace: async (place: Placement) => {
        if (await stores.orgs.isPlaceInUse(place)) return;
        await dropGate.pass(); // checked: unused; about to drop
        await stores.tenants.drop(place);
      },
      cacheMs: 60_000,
    });
    const earlier = await records.create(caller, { earlier: true }); // the first placement is cached now

    insertGate.arm();
    dropGate.arm();
    const late = records.create(caller, { late: true });
    await insertGate.reached; // it has the first placement and is about to write there
    const change = await awayAndBack(org.id, [`drop race ${mode}`, `drop race away ${mode}`, `drop race ${mode}`]);
    insertGate.release();
    await dropGate.reached; // the late insert landed in the old place, was applied again, and the clean-up checked
    await change.back();
    dropGate.release();
    const record = await late;

    expect(await liveRecords(org.id)).toEqual([earlier.id, record.id].sort());
    expect((await records.list(caller, { filter: {}, limit: 10 })).records.map((r) => r.id).sort()).toEqual(
      [earlier.id, record.id].sort(),
    );
    expect((await settledState()).problems).toEqual([]);
  });

  it('the removal of a stray record never removes the acknowledged record from the live data', async () => {
    const { org, caller } = await setUp(`undo race ${mode}`);
    const insertGate = gate(false);
    const removeGate = gate(false);
    const store = held(held(base, 'insert', insertGate), 'remove', removeGate);
    const records = new RecordsService({
      orgs: stores.orgs,
      records: store,
      releasePlace: async (place: Placement) => {
        if (!(await stores.orgs.isPlaceInUse(place))) await stores.tenants.drop(place);
      },
      cacheMs: 60_000,
    });
    await records.create(caller, { earlier: true });

    insertGate.arm();
    removeGate.arm();
    const late = records.create(caller, { late: true });
    await insertGate.reached;
    const change = await awayAndBack(org.id, [`undo race ${mode}`, `undo race away ${mode}`, `undo race ${mode}`]);
    insertGate.release();
    await removeGate.reached; // about to remove its stray copy from the old place
    await change.back();
    removeGate.release();
    const record = await late;

    expect(await liveRecords(org.id)).toContain(record.id);
    expect((await records.get(caller, record.id)).data).toEqual({ late: true });
  });

  it('the reconciler never drops a place that became live again after it listed the places', async () => {
    const { org, caller } = await setUp(`reconcile race ${mode}`);
    const records = new RecordsService({
      orgs: stores.orgs,
      records: base,
      releasePlace: async () => {},
      cacheMs: 0,
    });
    const kept = await records.create(caller, { kept: true });
    const first = org.placement;
    const change = await awayAndBack(org.id, [`reconcile race ${mode}`, `reconcile race away ${mode}`, `reconcile race ${mode}`]);
    // A stray under the first place's name, as a late write would leave it.
    await placeCollection(first).insertOne({ _id: new ObjectId(), gen: first.gen, data: { stray: true } });

    const judged = gate(false);
    judged.arm();
    const orgStore = new Proxy(stores.orgs, {
      get: (target, key) =>
        key === 'placesInUse'
          ? async () => {
              const used = await target.placesInUse();
              await judged.pass();
              return used;
            }
          : Reflect.get(target, key),
    });
    const reconciler = new OrganizationService({
      stores: { ...stores, orgs: orgStore },
      hasher,
      placements: testPlacements(mode),
      leaseMs: 60_000,
    });
    const run = reconciler.reconcile();
    await judged.reached; // it has listed the places, the stray among them, and judged it unused
    await change.back();
    judged.release();
    await run;

    const now = await stores.orgs.findById(org.id);
    expect(now && samePlace(now.placement, first)).toBe(false);
    expect(await placeExists(first)).toBe(false);
    expect(await liveRecords(org.id)).toEqual([kept.id]);
    expect((await settledState()).problems).toEqual([]);
  });
});
