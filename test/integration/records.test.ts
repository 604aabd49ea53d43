import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACEMENT_MODES, type PlacementMode } from '#core/orgs/model.ts';
import { type Api, type Caller, listAll, loadApi } from '../support/api.ts';
import { authorizeToken, logIn } from '../support/auth.ts';
import {
  collectionNamed,
  dropTenantDatabasesAfterAll,
  masterDb,
  placeCollection,
  purgeNow,
  settledState,
  useTestDatabase,
} from '../support/db.ts';

/** The records API against the real database, the same suite in each placement mode. */

useTestDatabase();
dropTenantDatabasesAfterAll();

const password = 'records password';

async function orgWithAdmin(api: Api, name: string, email: string): Promise<Caller> {
  expect((await api.createOrg(name, email, password)).status).toBe(201);
  const { access_token } = await logIn(email, password);
  const context = await authorizeToken(access_token);
  if (!context) throw new Error('token refused');
  return { userId: context.userId, orgId: context.orgId };
}

const placementOf = async (orgId: string) =>
  (
    await masterDb()
      .collection('organizations')
      .findOne({ _id: new (await import('mongodb')).ObjectId(orgId) })
  )?.placement;

describe.each(PLACEMENT_MODES)('Records API (%s mode)', (mode: PlacementMode) => {
  let api: Api;
  let a: Caller;
  let b: Caller;

  beforeAll(async () => {
    api = await loadApi(mode);
    a = await orgWithAdmin(api, `Alpha ${mode}`, `alpha-${mode}@records.example`);
    b = await orgWithAdmin(api, `Beta ${mode}`, `beta-${mode}@records.example`);
  });
  afterAll(() => api.close());

  it("places new organizations in this mode's place", async () => {
    const placement = await placementOf(a.orgId);

    expect(placement?.mode).toBe(mode);
    if (mode === 'database') {
      expect(placement).toMatchObject({
        database: expect.stringMatching(`^${process.env.TENANT_DB_NAME}_[0-9a-f]{24}$`),
        collection: 'records',
      });
    } else {
      expect(placement).toMatchObject({
        database: process.env.TENANT_DB_NAME,
        collection: expect.stringMatching(collectionNamed(`alpha_${mode}`)),
      });
    }
  });

  it('creates, reads, replaces, merges and deletes a record', async () => {
    const created = await api.create(a, { title: 'First', tags: ['x', 'y'], nested: { n: 1, deep: { ok: true } } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      data: { title: 'First', tags: ['x', 'y'], nested: { n: 1, deep: { ok: true } } },
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });
    const id = created.body.id as string;
    expect(created.headers.location).toBe(`/org/records/${id}`);

    expect(await api.get(a, id)).toMatchObject({ status: 200, body: created.body });
    expect(await api.get(a, id.toUpperCase())).toMatchObject({ status: 200, body: { id } });

    const replaced = await api.replace(a, id, { title: 'Second' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id, data: { title: 'Second' }, created_at: created.body.created_at });
    expect(Date.parse(replaced.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));

    const patched = await api.patch(a, id, { status: 'open', title: null, count: 3 });
    expect(patched).toMatchObject({ status: 200, body: { id, data: { status: 'open', count: 3 } } });
    expect(patched.body.data).not.toHaveProperty('title');

    expect((await api.remove(a, id)).status).toBe(204);
    expect(await api.get(a, id)).toMatchObject({ status: 404, body: { code: 'record_not_found' } });
    expect((await api.remove(a, id)).status).toBe(404);
    expect((await api.replace(a, id, { x: 1 })).status).toBe(404);
    expect((await api.patch(a, id, { x: 1 })).status).toBe(404);
  });

  it('stores records in the organization place, tagged with its generation', async () => {
    const created = await api.create(a, { where: 'here' });
    const placement = await placementOf(a.orgId);

    const doc = await placeCollection(placement).findOne({ 'data.where': 'here' });
    expect(doc).toMatchObject({ gen: placement?.gen, rev: 0, data: { where: 'here' } });
    expect(doc?._id.toHexString()).toBe(created.body.id);
  });

  it('lists newest first, a page at a time, with equality filters on top-level fields', async () => {
    const org = await orgWithAdmin(api, `Lister ${mode}`, `lister-${mode}@records.example`);
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const answer = await api.create(org, { i, kind: i % 2 === 0 ? 'even' : 'odd', n: i % 3, flag: i === 4 });
      ids.push(answer.body.id);
    }

    const first = await api.list(org, { limit: '3' });
    const second = await api.list(org, { limit: '3', cursor: first.body.next_cursor });
    const third = await api.list(org, { limit: '3', cursor: second.body.next_cursor });

    expect(first.status).toBe(200);
    expect([...first.body.records, ...second.body.records, ...third.body.records].map((r) => r.id)).toEqual([...ids].reverse());
    expect(third.body.next_cursor).toBeNull();
    expect((await listAll(api, org, { 'filter[kind]': 'odd' })).map((r) => r.data.i)).toEqual([5, 3, 1]);
    expect((await listAll(api, org, { 'filter[n]': '0', 'filter[kind]': 'even' })).map((r) => r.data.i)).toEqual([6, 0]);
    expect((await listAll(api, org, { 'filter[flag]': 'true' })).map((r) => r.data.i)).toEqual([4]);
    expect(await listAll(api, org, { 'filter[kind]': 'none' })).toEqual([]);
    expect((await api.list(org)).body.records).toHaveLength(7);
  });

  it('refuses what it cannot store or find with 400, 413 or 415', async () => {
    const bad = async (answer: Promise<{ status: number; body: any }>, status: number, code: string, pointer?: string) => {
      const { status: got, body } = await answer;
      expect({ got, code: body.code }).toEqual({ got: status, code });
      if (pointer !== undefined) expect(body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    };

    await bad(api.create(a, { $set: { x: 1 } }), 400, 'validation_failed', '/$set');
    await bad(api.create(a, { 'a.b': 1 }), 400, 'validation_failed', '/a.b');
    await bad(api.create(a, { ok: { inner: [{ $where: 'x' }] } }), 400, 'validation_failed', '/ok/inner/0/$where');
    await bad(api.create(a, [1, 2]), 400, 'validation_failed');
    await bad(api.create(a, 'text'), 400, 'validation_failed');
    await bad(api.create(a, { big: 'x'.repeat(70_000) }), 413, 'payload_too_large');
    await bad(api.create(a, { x: 1 }, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    const nested = JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`);
    await bad(api.create(a, nested), 400, 'validation_failed');

    const big = await api.create(a, { s: 'x'.repeat(40_000) });
    await bad(api.patch(a, big.body.id, { t: 'y'.repeat(30_000) }), 413, 'record_too_large');

    for (const id of ['123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '{"$ne":null}', `${big.body.id}0`]) {
      await bad(api.get(a, id), 400, 'validation_failed', '/id');
      await bad(api.remove(a, id), 400, 'validation_failed', '/id');
    }
    await bad(api.get(a, '0123456789abcdef01234567'), 404, 'record_not_found');

    for (const limit of ['0', '101', '1.5', 'ten']) await bad(api.list(a, { limit }), 400, 'validation_failed', '/limit');
    await bad(api.list(a, { cursor: 'not-a-cursor' }), 400, 'validation_failed', '/cursor');
    await bad(api.list(a, { 'filter[$where]': 'x' }), 400, 'validation_failed');
    await bad(api.list(a, { 'filter[a.b]': 'x' }), 400, 'validation_failed');
    await bad(api.list(a, { where: 'x' }), 400, 'validation_failed');
  });

  it("never reads or changes another organization's records: the isolation matrix", async () => {
    const mine = await api.create(a, { owner: 'a', v: 1 });
    const theirs = await api.create(b, { owner: 'b', v: 1 });
    const bBefore = await listAll(api, b);
    const id = { own: mine.body.id as string, other: theirs.body.id as string };

    const matrix = {
      get: [await api.get(a, id.other), await api.get(a, id.own)],
      put: [await api.replace(a, id.other, { owner: 'a', hijacked: true }), await api.replace(a, id.own, { owner: 'a', v: 2 })],
      patch: [await api.patch(a, id.other, { hijacked: true }), await api.patch(a, id.own, { v: 3 })],
      delete: [await api.remove(a, id.other), await api.remove(a, id.own)],
    };
    const listed = await listAll(api, a);
    const created = await api.create(a, { owner: 'a', v: 4 });

    expect(
      Object.fromEntries(Object.entries(matrix).map(([route, [other, own]]) => [route, [other?.status, own?.status]])),
    ).toEqual({ get: [404, 200], put: [404, 200], patch: [404, 200], delete: [404, 204] });
    for (const [other] of Object.values(matrix)) expect(other?.body.code).toBe('record_not_found');
    expect(listed.every((r) => r.data.owner !== 'b')).toBe(true);
    expect(listed.map((r) => r.id)).not.toContain(id.other);
    expect((await api.get(b, created.body.id)).status).toBe(404);
    expect(await listAll(api, b)).toEqual(bBefore);
    expect(await api.get(b, id.other)).toMatchObject({ status: 200, body: { data: { owner: 'b', v: 1 } } });
  });

  it('keeps records through a rename and removes them with the organization', async () => {
    const org = await orgWithAdmin(api, `Keeper ${mode}`, `keeper-${mode}@records.example`);
    const kept = await api.create(org, { keep: true });
    const before = await placementOf(org.orgId);

    const renamed = await api.updateOrg(org, { organization_name: `Keeper ${mode}`, new_organization_name: `Holder ${mode}` });
    const after = await placementOf(org.orgId);

    expect(renamed.status).toBe(200);
    expect(await api.get(org, kept.body.id)).toMatchObject({ status: 200, body: { data: { keep: true } } });
    if (mode === 'database')
      expect(after).toEqual(before); // the database follows the org id: nothing moves
    else expect(after).toEqual({ ...before, collection: expect.stringMatching(collectionNamed(`holder_${mode}`)) });

    expect((await api.deleteOrg(org, `Holder ${mode}`)).status).toBe(202);
    // Archived: nobody reaches its records (the authorizer marks its tokens; the service sees no data).
    expect((await api.get(org, kept.body.id)).body.code).toBe('organization_not_found');
    expect((await api.create(org, { late: true })).status).toBe(404);
    const place = await placementOf(org.orgId);
    expect(await placeCollection(place).countDocuments()).toBe(1);
    await purgeNow(org.orgId);
    expect(await placementOf(org.orgId)).toBeUndefined();
    expect((await settledState()).problems).toEqual([]);
  });
});

describe('Organizations created under different placement settings', () => {
  it('coexist: each keeps its recorded place, records work for both, and either container serves both', async () => {
    const byCollection = await loadApi('collection');
    const byDatabase = await loadApi('database');
    try {
      const c = await orgWithAdmin(byCollection, 'Mixed Collection Co', 'mixed-c@records.example');
      const d = await orgWithAdmin(byDatabase, 'Mixed Database Co', 'mixed-d@records.example');

      const fromC = await byDatabase.create(c, { via: 'database container' });
      const fromD = await byCollection.create(d, { via: 'collection container' });

      expect((await placementOf(c.orgId))?.mode).toBe('collection');
      expect((await placementOf(d.orgId))?.mode).toBe('database');
      expect(await byCollection.get(c, fromC.body.id)).toMatchObject({
        status: 200,
        body: { data: { via: 'database container' } },
      });
      expect(await byDatabase.get(d, fromD.body.id)).toMatchObject({
        status: 200,
        body: { data: { via: 'collection container' } },
      });
      expect((await byCollection.get(d, fromC.body.id)).status).toBe(404);
      expect((await byCollection.getOrg('Mixed Database Co')).body.collection_name).toBe('records');
      expect((await settledState()).problems).toEqual([]);
    } finally {
      await byCollection.close();
      await byDatabase.close();
    }
  });
});
