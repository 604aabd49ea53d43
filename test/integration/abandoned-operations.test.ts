import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { PLACEMENT_MODES, type PlacementMode, samePlace } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { type Api, type Caller, loadApi } from '../support/api.ts';
import { authorizeToken, logIn } from '../support/auth.ts';
import {
  dropTenantDatabasesAfterAll,
  masterDb,
  placeCollection,
  placeExists,
  settledState,
  testClient,
  testPlacements,
  useTestDatabase,
  wipeOrganizations,
} from '../support/db.ts';

/**
 * Operations whose run died (the container was killed) are settled by the next request that meets
 * them once their lease has passed, whatever route it is: a records write does not wait for the
 * reconciler, a sign-up of the same name or email finishes a dead delete, and the reconciler settles
 * every organization it can even when one of them fails.
 */

useTestDatabase();
dropTenantDatabasesAfterAll();

const LEASE_SECONDS = 1;
const password = 'abandoned password';
const organizations = () => masterDb().collection('organizations');
let stores: OrgStores;

beforeAll(async () => {
  stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
});

/** Makes the organization's document look like a run that started `ago` ms ago and died. */
async function dieMidway(orgId: string, status: string, operation: Record<string, unknown>, ago = 5_000) {
  await organizations().updateOne(
    { _id: new ObjectId(orgId) },
    { $set: { status, operation: { ...operation, startedAt: new Date(Date.now() - ago) } } },
  );
}

describe.each(PLACEMENT_MODES)('A request meeting an operation whose run died (%s mode)', (mode: PlacementMode) => {
  let api: Api;
  beforeAll(async () => {
    api = await loadApi(mode, { OPERATION_LEASE_SECONDS: String(LEASE_SECONDS), PLACEMENT_CACHE_SECONDS: '0' });
  });
  afterAll(async () => {
    await api.close();
    await wipeOrganizations();
  });

  async function orgWithAdmin(name: string, email: string): Promise<Caller> {
    expect((await api.createOrg(name, email, password)).status).toBe(201);
    const context = await authorizeToken((await logIn(email, password)).access_token);
    if (!context) throw new Error('token refused');
    return { userId: context.userId, orgId: context.orgId };
  }

  it('a records write undoes a dead move and is applied where the data is', async () => {
    const caller = await orgWithAdmin(`Dead Move ${mode}`, `dead-move-${mode}@abandoned.example`);
    const kept = await api.create(caller, { kept: true });
    const org = await stores.orgs.findById(caller.orgId);
    if (!org) throw new Error('no org');
    const to = testPlacements().forNew(org, mode === 'collection' ? 'database' : 'collection');
    await stores.tenants.create(to); // the copy had begun
    await dieMidway(caller.orgId, 'moving', { kind: 'move', from: org.placement, to });

    const written = await api.create(caller, { after: true });

    expect(written.status).toBe(201);
    const now = await stores.orgs.findById(caller.orgId);
    expect(now).toMatchObject({ status: 'active', placementVersion: (org.placementVersion ?? 0) + 1 });
    expect(now && samePlace(now.placement, org.placement)).toBe(true);
    expect(await placeExists(to)).toBe(false);
    expect((await api.list(caller)).body.records.map((r: { id: string }) => r.id).sort()).toEqual(
      [kept.body.id, written.body.id].sort(),
    );
    expect((await settledState()).problems).toEqual([]);
  });

  it('a records write finishes a dead rename that fences it', async () => {
    const name = `Dead Rename ${mode}`;
    const caller = await orgWithAdmin(name, `dead-rename-${mode}@abandoned.example`);
    const kept = await api.create(caller, { kept: true });
    const org = await stores.orgs.findById(caller.orgId);
    if (!org) throw new Error('no org');
    const toSlug = `dead_renamed_${mode}`;
    const to = testPlacements().forRename(org.placement, toSlug);
    const sourceId = samePlace(org.placement, to) ? undefined : await stores.tenants.identify(org.placement);
    await masterDb()
      .collection('org_names')
      .insertOne({ _id: toSlug as never, orgId: new ObjectId(caller.orgId), claimedAt: new Date() });
    await dieMidway(caller.orgId, 'renaming', {
      kind: 'rename',
      toName: `Dead Renamed ${mode}`,
      toSlug,
      from: org.placement,
      to,
      ...(sourceId ? { sourceId } : {}),
    });

    const written = await api.create(caller, { after: true });
    const read = await api.get(caller, kept.body.id);
    // A rename in database mode moves nothing and fences nothing: records requests never meet it, and the
    // next organization route (or the reconciler) finishes it.
    if (mode === 'database') await (await api.organizations()).recoverAbandoned(caller.orgId);

    expect(written.status).toBe(201);
    expect(read).toMatchObject({ status: 200, body: { data: { kept: true } } });
    expect(await stores.orgs.findById(caller.orgId)).toMatchObject({ status: 'active', slug: toSlug, placement: to });
    expect((await settledState()).problems).toEqual([]);
  });

  it('a write to an organization whose operation is alive is still refused with 503 and Retry-After', async () => {
    const caller = await orgWithAdmin(`Live Move ${mode}`, `live-move-${mode}@abandoned.example`);
    const org = await stores.orgs.findById(caller.orgId);
    if (!org) throw new Error('no org');
    const to = testPlacements().forNew(org, mode === 'collection' ? 'database' : 'collection');
    await dieMidway(caller.orgId, 'moving', { kind: 'move', from: org.placement, to }, 0);

    const refused = await api.create(caller, { v: 1 });

    expect(refused).toMatchObject({ status: 503, body: { code: 'organization_migrating' } });
    expect(refused.headers['retry-after']).toBe('1');
    expect(await stores.orgs.findById(caller.orgId)).toMatchObject({ status: 'moving' });
    await organizations().updateOne(
      { _id: new ObjectId(caller.orgId) },
      { $set: { status: 'active' }, $unset: { operation: '' } },
    );
  });

  it('a sign-up of the same name and email finishes a delete that died after releasing the name', async () => {
    const name = `Dead Delete ${mode}`;
    const email = `dead-delete-${mode}@abandoned.example`;
    const caller = await orgWithAdmin(name, email);
    const org = await stores.orgs.findById(caller.orgId);
    if (!org) throw new Error('no org');
    // What a delete killed after its names were released leaves: no admin, no claim, the document deleting.
    await dieMidway(caller.orgId, 'deleting', { kind: 'delete' }, 0);
    await masterDb()
      .collection('admins')
      .deleteMany({ orgId: new ObjectId(caller.orgId) });
    await masterDb()
      .collection('org_names')
      .deleteMany({ orgId: new ObjectId(caller.orgId) });

    const again = await api.createOrg(name, email, password);

    expect(again.status).toBe(201);
    expect(await stores.orgs.findById(caller.orgId)).toBeNull();
    expect(await placeExists(org.placement)).toBe(false);
    expect((await settledState()).problems).toEqual([]);
  });

  it('a sign-up of the same email finishes a delete that died holding the admin', async () => {
    const email = `dead-delete-admin-${mode}@abandoned.example`;
    const caller = await orgWithAdmin(`Dead Delete Admin ${mode}`, email);
    await dieMidway(caller.orgId, 'deleting', { kind: 'delete' }, 0);

    const again = await api.createOrg(`Another Name ${mode}`, email, password);

    expect(again.status).toBe(201);
    expect(await stores.orgs.findById(caller.orgId)).toBeNull();
    expect((await settledState()).problems).toEqual([]);
  });
});

describe('The reconciler', () => {
  afterAll(wipeOrganizations);

  it('settles every organization it can, lists the ones it cannot, and does not stop at the first', async () => {
    const hasher = createPasswordHasher(4);
    const placements = testPlacements();
    const live = new OrganizationService({ stores, hasher, placements, leaseMs: 60_000 });
    const doomed = await live.create({ name: 'Reconcile Doomed', email: 'doomed@reconcile.example', password });
    const fine = await live.create({ name: 'Reconcile Fine', email: 'fine@reconcile.example', password });
    for (const { org } of [doomed, fine]) await dieMidway(org.id, 'deleting', { kind: 'delete' }, 120_000);
    const failing = new Proxy(stores.tenants, {
      get: (target, key) =>
        key === 'drop'
          ? async (place: Parameters<typeof target.drop>[0]) => {
              if (samePlace(place, doomed.org.placement)) throw new Error('refused by the server');
              return target.drop(place);
            }
          : Reflect.get(target, key),
    });
    const reconciler = new OrganizationService({ stores: { ...stores, tenants: failing }, hasher, placements, leaseMs: 60_000 });

    const report = await reconciler.reconcile();

    expect(report.failures).toEqual(
      expect.arrayContaining([{ step: 'settle', subject: doomed.org.id, error: 'Error: refused by the server' }]),
    );
    expect(await stores.orgs.findById(fine.org.id)).toBeNull();
    expect(await stores.orgs.findById(doomed.org.id)).toMatchObject({ status: 'deleting' });
    expect(await placeCollection(fine.org.placement).countDocuments()).toBe(0);

    const again = await live.reconcile();
    expect(again.failures).toEqual([]);
    expect((await settledState()).problems).toEqual([]);
  });
});
