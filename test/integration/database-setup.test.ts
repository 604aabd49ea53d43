import { Collection } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databaseSetup } from '#core/compose/setup.ts';
import { MASTER_COLLECTIONS } from '#core/mongo/collections.ts';
import { MASTER_INDEXES } from '#core/mongo/indexes.ts';
import { handler as logout } from '../../functions/admin-logout/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { closeClientsAfterAll, masterDb } from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * The master indexes are made by the deploy-time setup, never by a request. This file's master
 * database starts empty and nothing sets it up before the first requests below, which run on a
 * fresh container (this file's own module state): they are refused (a database without its unique
 * indexes would let two admins share an email) and create nothing. After the setup has run, the same
 * container serves, and if any request path still created indexes, the driver calls would be seen
 * here and the indexes would exist in the master database.
 */

closeClientsAfterAll();

const master = process.env.MASTER_DB_NAME;
/** Every `createIndex`/`createIndexes` call made through the driver in this process, by namespace. */
const indexCalls: string[] = [];

beforeAll(() => {
  for (const method of ['createIndex', 'createIndexes'] as const) {
    const original = Collection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
    vi.spyOn(Collection.prototype, method).mockImplementation(function (this: Collection, ...args: unknown[]) {
      indexCalls.push(`${this.dbName}.${this.collectionName}`);
      return original.apply(this, args) as never;
    });
  }
});

afterAll(() => {
  vi.restoreAllMocks();
});

async function masterIndexNames(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of Object.values(MASTER_COLLECTIONS)) {
    const indexes = await masterDb()
      .collection(name)
      .listIndexes()
      .toArray()
      .catch(() => []); // a collection nothing has written to yet
    out[name] = indexes.map((index) => index.name as string).sort();
  }
  return out;
}

describe('Database setup', () => {
  it('has not run: a fresh container refuses to serve (503 database_not_set_up) and creates no index', async () => {
    const refused = await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'Setup Co' } });
    const signUp = await invoke(createOrg, {
      method: 'POST',
      path: '/org/create',
      body: { organization_name: 'Setup Co', email: 'admin@setup.example', password: 'setup password' },
    });

    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'database_not_set_up' });
    expect(refused.headers['retry-after']).toBe('30');
    expect(signUp.status).toBe(503);
    expect(indexCalls).toEqual([]);
    expect(await masterDb().collection(MASTER_COLLECTIONS.admins).countDocuments()).toBe(0);
  });

  it('creates every master index when run, through the driver calls the requests above did not make', async () => {
    indexCalls.length = 0;
    const result = await databaseSetup()();

    if (result.status !== 'done') throw new Error(`setup skipped: ${result.reason}`);
    expect(result.database).toBe(master);
    expect(indexCalls.filter((ns) => ns.startsWith(`${master}.`))).toHaveLength(MASTER_INDEXES.length);
    const { created, unsupported } = result;
    expect([...created, ...unsupported].sort()).toEqual(MASTER_INDEXES.map((i) => `${i.collection}.${i.options.name}`).sort());
    const indexes = await masterIndexNames();
    for (const name of created) {
      const [collection, index] = name.split('.') as [string, string];
      expect(indexes[collection], name).toContain(index);
    }
  });

  it('has run: the same container now serves sign-up, login, the authorizer, records and logout without creating a master index', async () => {
    indexCalls.length = 0;
    // Collections the setup could give no index (TTL on FerretDB) appear with `_id_` when first written.
    const secondary = async () =>
      Object.fromEntries(Object.entries(await masterIndexNames()).map(([c, names]) => [c, names.filter((n) => n !== '_id_')]));
    const before = await secondary();
    expect((await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'Setup Co' } })).status).toBe(
      404,
    );
    const created = await createOrganization('Setup Co', 'admin@setup.example', 'setup password');
    const { access_token } = await logIn('admin@setup.example', 'setup password');
    const caller = await authorizeToken(access_token);
    expect(caller).not.toBeNull();
    const route = { caller: caller! };
    expect((await invoke(createRecord, { method: 'POST', path: '/org/records', body: { n: 1 }, ...route })).status).toBe(201);
    expect((await invoke(listRecords, { method: 'GET', path: '/org/records', ...route })).status).toBe(200);
    expect((await invoke(logout, { method: 'POST', path: '/admin/logout', ...route })).status).toBe(204);

    // The one index a request makes is the records list's, on the new organization's own collection.
    expect(indexCalls).toEqual([`${process.env.TENANT_DB_NAME}.${created.collection_name}`]);
    expect(await secondary()).toEqual(before);
  });

  it('can run again and again: a second run changes nothing', async () => {
    const before = await masterIndexNames();
    const first = await databaseSetup()();
    const second = await databaseSetup()();

    expect(second).toEqual(first);
    expect(await masterIndexNames()).toEqual(before);
  });
});
