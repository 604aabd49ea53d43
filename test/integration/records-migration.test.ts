import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { NotFoundError, UnavailableError } from '#core/errors.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { type Organization, PLACEMENT_MODES, type Placement, type PlacementMode, samePlace } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { RecordsService } from '#core/records/service.ts';
import type { RecordStore } from '#core/records/stores.ts';
import { type Api, type Caller, listAll, loadApi } from '../support/api.ts';
import { authorizeToken, logIn } from '../support/auth.ts';
import {
  dropTenantDatabasesAfterAll,
  placeCollection,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
} from '../support/db.ts';
import type { Answer } from '../support/events.ts';
import { gate } from '../support/gate.ts';

/**
 * Records writes while the organization's data moves: a rename (collection mode renames the
 * collection; database mode moves nothing) and moves between modes. Several clients write through
 * two "containers" that cache placements for a minute; every acknowledged write must be in the new
 * place exactly once afterwards, and the old place must be gone. The same suite runs in both modes.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

const password = 'migration password';
const other = (mode: PlacementMode): PlacementMode => (mode === 'collection' ? 'database' : 'collection');

let stores: OrgStores;
beforeAll(async () => {
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
});

const orgById = async (id: string) => (await stores.orgs.findById(id)) as Organization;

async function orgWithAdmin(api: Api, name: string, email: string): Promise<Caller> {
  expect((await api.createOrg(name, email, password)).status).toBe(201);
  const context = await authorizeToken((await logIn(email, password)).access_token);
  if (!context) throw new Error('token refused');
  return { userId: context.userId, orgId: context.orgId };
}

// ------------------------------------------------------------------ writers and their ledger

const DELETED = 'deleted';
type Outcome = number | undefined | typeof DELETED; // the record's `v`, none yet, or gone

interface Entry {
  readonly w: number;
  readonly s: number;
  /** What the record may be now: one outcome after an acknowledged write, more after a 503. */
  possible: Set<Outcome>;
}

class Ledger {
  readonly acked = new Map<string, Entry>();
  /** Creates answered 503: they may or may not exist. */
  readonly maybeCreated = new Set<string>();
  readonly unexpected: string[] = [];
  readonly statuses: Record<string, number> = {};
  acknowledged = 0;

  note(op: string, answer: Answer): 'ok' | 'fenced' | 'other' {
    const key = `${op} ${answer.status}`;
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (answer.status >= 200 && answer.status < 300) {
      this.acknowledged += 1;
      return 'ok';
    }
    // Each of these may or may not have been applied: fenced by a move, raced by one, or a database
    // that did not answer in time (a loaded embedded server can stall past the bound).
    const codes = ['organization_migrating', 'write_unconfirmed', 'service_unavailable'];
    if (answer.status === 503 && codes.includes(answer.body?.code) && answer.headers['retry-after']) return 'fenced';
    this.unexpected.push(`${key} ${JSON.stringify(answer.body)}`);
    return 'other';
  }
}

async function writer(api: Api, caller: Caller, w: number, ledger: Ledger, running: () => boolean) {
  const own: string[] = [];
  for (let s = 1; running(); s += 1) {
    const live = own.filter((id) => !ledger.acked.get(id)?.possible.has(DELETED));
    const roll = Math.random();
    if (live.length === 0 || roll < 0.5) {
      const answer = await api.create(caller, { w, s });
      const result = ledger.note('POST', answer);
      if (result === 'ok') {
        ledger.acked.set(answer.body.id, { w, s, possible: new Set([undefined]) });
        own.push(answer.body.id);
      } else if (result === 'fenced') ledger.maybeCreated.add(`${w}:${s}`);
      continue;
    }
    const id = live[Math.floor(Math.random() * live.length)] as string;
    const entry = ledger.acked.get(id) as Entry;
    const [op, answer, outcome] =
      roll < 0.7
        ? (['PATCH', await api.patch(caller, id, { v: s }), s] as const)
        : roll < 0.85
          ? (['PUT', await api.replace(caller, id, { w, s: entry.s, v: s }), s] as const)
          : (['DELETE', await api.remove(caller, id), DELETED] as const);
    const result = ledger.note(op, answer);
    if (result === 'ok') entry.possible = new Set([outcome]);
    else if (result === 'fenced') entry.possible.add(outcome);
  }
}

/** Runs `clients` writers (spread over the containers) around `change`, with writes before and after it. */
async function hammer(apis: Api[], caller: Caller, change: () => Promise<void>, clients = 4) {
  const ledger = new Ledger();
  let running = true;
  const until = async (acknowledged: number) => {
    const deadline = Date.now() + 20_000;
    while (ledger.acknowledged < acknowledged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };
  const writers = Array.from({ length: clients }, (_, w) =>
    writer(apis[w % apis.length] as Api, caller, w, ledger, () => running),
  );
  try {
    await until(30);
    const before = ledger.acknowledged;
    await change();
    await until(ledger.acknowledged + 30);
    expect(ledger.acknowledged - before).toBeGreaterThan(30);
  } finally {
    running = false;
    await Promise.all(writers);
  }
  return ledger;
}

/** Every acknowledged write in the organization's place exactly once; nothing else but maybe-writes. */
async function expectLedgerHolds(api: Api, caller: Caller, ledger: Ledger) {
  expect(ledger.unexpected).toEqual([]);
  const org = await orgById(caller.orgId);
  expect(org.status).toBe('active');
  const docs = await placeCollection(org.placement).find({ gen: org.placement.gen }).toArray();
  const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
  const perWrite = new Map<string, number>();
  for (const doc of docs) perWrite.set(`${doc.data.w}:${doc.data.s}`, (perWrite.get(`${doc.data.w}:${doc.data.s}`) ?? 0) + 1);

  const wrong: string[] = [];
  for (const [id, entry] of ledger.acked) {
    const doc = byId.get(id);
    const now: Outcome = doc ? (doc.data.v as number | undefined) : DELETED;
    if (!entry.possible.has(now))
      wrong.push(`${id} (${entry.w}:${entry.s}) is ${String(now)}, expected ${[...entry.possible].join('|')}`);
    const copies = perWrite.get(`${entry.w}:${entry.s}`) ?? 0;
    if (copies !== (doc ? 1 : 0)) wrong.push(`${entry.w}:${entry.s} held ${copies} times`);
  }
  for (const doc of docs) {
    const known = ledger.acked.has(doc._id.toHexString()) || ledger.maybeCreated.has(`${doc.data.w}:${doc.data.s}`);
    if (!known) wrong.push(`record ${doc._id.toHexString()} was never written`);
  }
  expect(wrong).toEqual([]);
  expect((await listAll(api, caller)).map((r) => r.id).sort()).toEqual([...byId.keys()].sort());
}

/** Two containers of the service in `mode`, each caching placements for a minute: the fence must not depend on caches. */
function twoContainers(mode: PlacementMode): { first: Api; second: Api } {
  const containers = {} as { first: Api; second: Api };
  beforeAll(async () => {
    containers.first = await loadApi(mode, { PLACEMENT_CACHE_SECONDS: '60' });
    containers.second = await loadApi(mode, { PLACEMENT_CACHE_SECONDS: '60' });
  });
  afterAll(async () => {
    await containers.first.close();
    await containers.second.close();
  });
  return containers;
}

describe.each(PLACEMENT_MODES)('Records writers during a rename and a move (%s mode)', (mode: PlacementMode) => {
  const containers = twoContainers(mode);

  it('keeps every acknowledged write exactly once through a rename, and the old place is gone', async () => {
    const caller = await orgWithAdmin(containers.first, `Hammer Rename ${mode}`, `hammer-rename-${mode}@migration.example`);
    const before = (await orgById(caller.orgId)).placement;

    const ledger = await hammer([containers.first, containers.second], caller, async () => {
      const answer = await containers.first.updateOrg(caller, {
        organization_name: `Hammer Rename ${mode}`,
        new_organization_name: `Hammered ${mode}`,
      });
      expect(answer.status).toBe(200);
    });

    const after = (await orgById(caller.orgId)).placement;
    const fenced = Object.entries(ledger.statuses).filter(([key]) => key.endsWith(' 503'));
    expect(samePlace(before, after)).toBe(mode === 'database');
    if (mode === 'collection') expect(await placeExists(before)).toBe(false);
    else expect(fenced, 'a rename in database mode moves nothing, so it fences nothing').toEqual([]);
    await expectLedgerHolds(containers.first, caller, ledger);
    expect((await settledState()).problems).toEqual([]);
  });

  it(`keeps every acknowledged write exactly once through a move to ${other(mode)} mode and back`, async () => {
    const caller = await orgWithAdmin(containers.first, `Hammer Move ${mode}`, `hammer-move-${mode}@migration.example`);
    const places: Placement[] = [(await orgById(caller.orgId)).placement];
    const service = await containers.first.organizations();

    const ledger = await hammer([containers.first, containers.second], caller, async () => {
      places.push((await service.move({ id: caller.orgId }, other(mode))).placement);
      await new Promise((r) => setTimeout(r, 100));
      places.push((await service.move({ id: caller.orgId }, mode)).placement);
    });

    expect(places.map((p) => p.mode)).toEqual([mode, other(mode), mode]);
    expect(new Set(places.map((p) => p.gen)).size).toBe(3);
    expect(await placeExists(places[1] as Placement)).toBe(false);
    await expectLedgerHolds(containers.first, caller, ledger);
    expect((await settledState()).problems).toEqual([]);
  });
});

// ------------------------------------------------------------------ a write that lands late

describe.each(PLACEMENT_MODES)('A write that looked up the placement before a move (%s mode)', (mode: PlacementMode) => {
  const hasher = createPasswordHasher(4);
  const orgs = () => new OrganizationService({ stores, hasher, placements: testPlacements(mode), leaseMs: 60_000 });
  const base = new MongoRecordStore(testClient());
  const releasePlace = async (place: Placement) => {
    if (!(await stores.orgs.isPlaceInUse(place))) await stores.tenants.drop(place);
  };

  /** A record store whose next call of `method` waits until released, once armed. */
  function gated(method: 'insert' | 'update') {
    const g = gate(false);
    const store: RecordStore = new Proxy(base, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          await g.pass();
          return value.apply(target, args);
        };
      },
    });
    const records = new RecordsService({ orgs: stores.orgs, records: store, releasePlace, cacheMs: 60_000 });
    /**
     * Starts `write`, holds it at the gated call (its placement read, about to write there), runs
     * `meanwhile`, then lets it go on; its answer, settled later.
     */
    const racing = async <T>(write: () => Promise<T>, meanwhile: () => Promise<unknown>): Promise<{ late: Promise<T> }> => {
      g.arm();
      const late = write();
      late.catch(() => {}); // asserted by the caller
      await g.reached;
      await meanwhile();
      g.release();
      return { late };
    };
    return { store, records, racing };
  }

  async function setUp(name: string) {
    const { org } = await orgs().create({ name, email: `${name.replaceAll(' ', '-')}@late.example`, password });
    return { org, caller: { userId: org.adminId, orgId: org.id } };
  }

  it('an insert that lands after the old place was dropped is applied in the new place; the old place stays gone', async () => {
    const { org, caller } = await setUp(`late insert ${mode}`);
    const { records, racing } = gated('insert');
    const earlier = await records.create(caller, { earlier: true }); // the placement is cached now

    let moved = org;
    const { late } = await racing(
      () => records.create(caller, { late: true }),
      async () => {
        moved = await orgs().move({ id: org.id }, other(mode));
        expect(await placeExists(org.placement)).toBe(false);
      },
    );
    const record = await late;

    expect(await placeExists(org.placement), 'old place').toBe(false);
    const held = await placeCollection(moved.placement).find({}).toArray();
    expect(held.map((d) => d._id.toHexString()).sort()).toEqual([earlier.id, record.id].sort());
    expect(held.every((d) => d.gen === moved.placement.gen)).toBe(true);
  });

  it('a replace that lands after the switch changes nothing left behind and is applied in the new place', async () => {
    const { org, caller } = await setUp(`late replace ${mode}`);
    const { records, racing } = gated('update');
    const record = await records.create(caller, { v: 1 });

    let moved = org;
    const { late } = await racing(
      () => records.replace(caller, record.id, { v: 2 }),
      async () => {
        moved = await orgs().move({ id: org.id }, other(mode));
      },
    );

    expect((await late).data).toEqual({ v: 2 });
    expect(await placeExists(org.placement)).toBe(false);
    expect(await placeCollection(moved.placement).findOne({ _id: new ObjectId(record.id) })).toMatchObject({ data: { v: 2 } });
  });

  it('a replace that lands while the organization is deleted is answered 503 write_unconfirmed: it stands, and is back on a restore', async () => {
    const { org, caller } = await setUp(`archived replace ${mode}`);
    const { store, records, racing } = gated('update');
    const record = await records.create(caller, { v: 1 });

    const { late } = await racing(
      () => records.replace(caller, record.id, { v: 2 }),
      () => orgs().delete(caller, org.name),
    );

    await expect(late).rejects.toSatisfy((e) => e instanceof UnavailableError && e.code === 'write_unconfirmed');
    expect(await placeExists(org.placement), 'the archived place is kept').toBe(true);
    await orgs().restore(org.id, 'operator');
    const reader = new RecordsService({ orgs: stores.orgs, records: store, releasePlace, cacheMs: 0 });
    expect((await reader.get(caller, record.id)).data).toEqual({ v: 2 });
  });

  it('a create that lands while the organization is deleted is undone and answered 404', async () => {
    const { org, caller } = await setUp(`archived insert ${mode}`);
    const { records, racing } = gated('insert');
    const earlier = await records.create(caller, { earlier: true });

    const { late } = await racing(
      () => records.create(caller, { late: true }),
      () => orgs().delete(caller, org.name),
    );

    await expect(late).rejects.toSatisfy((e) => e instanceof NotFoundError && e.code === 'organization_not_found');
    await orgs().restore(org.id, 'operator');
    const held = await placeCollection(org.placement).find({}).toArray();
    expect(held.map((d) => d._id.toHexString())).toEqual([earlier.id]);
  });

  it('a write that arrives while the data is being moved is refused with 503 and Retry-After; reads are served', async () => {
    const api = await loadApi(mode);
    try {
      const caller = await orgWithAdmin(api, `Fenced ${mode}`, `fenced-${mode}@late.example`);
      const record = await api.create(caller, { v: 1 });
      let release: () => void = () => {};
      let copying: () => void = () => {};
      const started = new Promise<void>((r) => {
        copying = r;
      });
      const held = new Promise<void>((r) => {
        release = r;
      });
      const tenants = new Proxy(stores.tenants, {
        get: (target, key) =>
          key === 'copyBatch'
            ? async (...args: Parameters<typeof target.copyBatch>) => {
                copying();
                await held;
                return target.copyBatch(...args);
              }
            : Reflect.get(target, key),
      });
      const slowOrgs = new OrganizationService({
        stores: { ...stores, tenants },
        hasher,
        placements: testPlacements(mode),
        leaseMs: 60_000,
      });

      const move = slowOrgs.move({ id: caller.orgId }, other(mode));
      await started;
      const refused = await Promise.all([
        api.create(caller, { v: 2 }),
        api.replace(caller, record.body.id, { v: 3 }),
        api.patch(caller, record.body.id, { v: 4 }),
        api.remove(caller, record.body.id),
      ]);
      const read = await api.get(caller, record.body.id);
      release();
      await move;

      for (const answer of refused) {
        expect(answer).toMatchObject({ status: 503, body: { code: 'organization_migrating' } });
        expect(answer.headers['retry-after']).toBe('1');
      }
      expect(read).toMatchObject({ status: 200, body: { data: { v: 1 } } });
      expect(await listAll(api, caller)).toEqual([record.body]);
      expect((await api.create(caller, { v: 5 })).status).toBe(201);
    } finally {
      await api.close();
    }
  });

  it('a record a crashed late write left under an old generation is never seen or copied, even in a later place of the organization', async () => {
    const { org, caller } = await setUp(`ghost ${mode}`);
    const records = new RecordsService({ orgs: stores.orgs, records: base, releasePlace, cacheMs: 0 });
    const real = await records.create(caller, { real: true });
    const away = await orgs().move({ id: org.id }, other(mode));
    const back = await orgs().move({ id: org.id }, mode);
    expect(samePlace(back.placement, org.placement), 'a place is never named again').toBe(false);

    // What a writer that looked up the first placement and died after writing would leave.
    const ghostId = new ObjectId();
    const now = new Date();
    await placeCollection(back.placement).insertOne({
      _id: ghostId,
      gen: org.placement.gen,
      rev: 0,
      createdAt: now,
      updatedAt: now,
      data: { ghost: true },
    });

    expect((await records.list(caller, { filter: {}, limit: 10 })).records.map((r) => r.id)).toEqual([real.id]);
    await expect(records.get(caller, ghostId.toHexString())).rejects.toThrow('No record has this id');
    const again = await orgs().move({ id: org.id }, other(mode));
    expect(samePlace(again.placement, away.placement), 'a place is never named again').toBe(false);
    expect(await placeCollection(again.placement).countDocuments({ 'data.ghost': true })).toBe(0);
    expect((await records.list(caller, { filter: {}, limit: 10 })).records.map((r) => r.id)).toEqual([real.id]);
  });
});

// ------------------------------------------------------------------ a placement that keeps changing

const pause = (maxMs: number) => new Promise((r) => setTimeout(r, Math.floor(Math.random() * (maxMs + 1))));

describe.each(PLACEMENT_MODES)('Records writers while the placement keeps changing (%s mode)', (mode: PlacementMode) => {
  // Two containers caching placements for a minute, and the reconciler sweeping all the while: a
  // clean-up (a late write's, a rename's, a move's or the reconciler's) must never hit a place that
  // is, or becomes again, the organization's live place.
  const containers = twoContainers(mode);

  /** Runs `change` while the reconciler sweeps in a loop. */
  async function withReconciler(change: () => Promise<void>) {
    const service = await containers.second.organizations();
    let sweeping = true;
    const sweeps = (async () => {
      while (sweeping) {
        await service.reconcile();
        await pause(5);
      }
    })();
    try {
      await change();
    } finally {
      sweeping = false;
      await sweeps;
    }
  }

  it('keeps every acknowledged write exactly once through 100 renames back and forth', async () => {
    const names = [`Ping ${mode}`, `Pong ${mode}`] as const;
    const caller = await orgWithAdmin(containers.first, names[0], `ping-pong-${mode}@migration.example`);

    const ledger = await hammer([containers.first, containers.second], caller, () =>
      withReconciler(async () => {
        for (let i = 0; i < 100; i += 1) {
          const api = i % 3 === 0 ? containers.second : containers.first;
          const answer = await api.updateOrg(caller, {
            organization_name: names[i % 2],
            new_organization_name: names[(i + 1) % 2],
          });
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          await pause(5);
        }
      }),
    );

    await expectLedgerHolds(containers.first, caller, ledger);
    expect((await settledState()).problems).toEqual([]);
  }, 180_000);

  it('keeps every acknowledged write exactly once through moves there and back between renames', async () => {
    const names = [`Mover ${mode}`, `Shaker ${mode}`] as const;
    const caller = await orgWithAdmin(containers.first, names[0], `mover-${mode}@migration.example`);
    const service = await containers.first.organizations();

    const ledger = await hammer([containers.first, containers.second], caller, () =>
      withReconciler(async () => {
        for (let i = 0; i < 6; i += 1) {
          await service.move({ id: caller.orgId }, i % 2 === 0 ? other(mode) : mode);
          await pause(5);
          const answer = await containers.second.updateOrg(caller, {
            organization_name: names[i % 2],
            new_organization_name: names[(i + 1) % 2],
          });
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          await pause(5);
        }
      }),
    );

    await expectLedgerHolds(containers.first, caller, ledger);
    expect((await settledState()).problems).toEqual([]);
  }, 180_000);
});
