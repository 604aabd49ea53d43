import { describe, expect, it } from 'vitest';
import { RecordsService } from '#core/records/service.ts';
import { createHandler as recordsCreate } from '../../../functions/records-create/handler.ts';
import { createHandler as recordsDelete } from '../../../functions/records-delete/handler.ts';
import { createHandler as recordsGet } from '../../../functions/records-get/handler.ts';
import { createHandler as recordsList } from '../../../functions/records-list/handler.ts';
import { createHandler as recordsPatch } from '../../../functions/records-patch/handler.ts';
import { invoke } from '../../support/events.ts';
import { FakeRecordStore } from '../../support/fakes/index.ts';
import { harness } from '../orgs/harness.ts';

/**
 * The records routes from event to answer over in-memory stores: the caller's organization decides
 * the place, the answers are the contract's, and what a 2xx says was stored is what a read returns.
 */

async function setUp() {
  const h = harness();
  const { caller } = await h.createOrg('Records Inc');
  const records = new FakeRecordStore();
  const service = async () =>
    new RecordsService({ orgs: h.stores.orgs, records, releasePlace: async () => {}, cacheMs: 0, now: h.now });
  return {
    h,
    caller,
    create: recordsCreate(service),
    get: recordsGet(service),
    list: recordsList(service),
    patch: recordsPatch(service),
    remove: recordsDelete(service),
  };
}

describe('Function: records routes over in-memory stores', () => {
  it('stores a record (201 with Location) and reads back exactly what it answered', async () => {
    const { caller, create, get } = await setUp();

    const created = await invoke(create, { method: 'POST', path: '/org/records', body: { title: 'First', n: 1 }, caller });
    const read = await invoke(get, {
      method: 'GET',
      path: `/org/records/${created.body.id}`,
      params: { id: created.body.id },
      caller,
    });

    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/org/records/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('lists newest first with a filter that matches the number a string spells', async () => {
    const { caller, h, create, list } = await setUp();
    for (const n of [1, 2, 3]) {
      await invoke(create, { method: 'POST', path: '/org/records', body: { n, kind: n === 2 ? 'odd-one' : 'plain' }, caller });
      h.advance(1_000);
    }

    const all = await invoke(list, { method: 'GET', path: '/org/records', caller });
    const two = await invoke(list, { method: 'GET', path: '/org/records', query: { 'filter[n]': '2' }, caller });

    expect(all.body.records.map((r: { data: { n: number } }) => r.data.n)).toEqual([3, 2, 1]);
    expect(two.body.records).toHaveLength(1);
    expect(two.body.records[0].data).toEqual({ n: 2, kind: 'odd-one' });
  });

  it('merges a patch, and a deleted record is 404 afterwards', async () => {
    const { caller, create, patch, remove, get } = await setUp();
    const { body } = await invoke(create, { method: 'POST', path: '/org/records', body: { a: 1, b: 2 }, caller });
    const at = { params: { id: body.id }, caller, path: `/org/records/${body.id}` };

    const patched = await invoke(patch, { ...at, method: 'PATCH', body: { b: 3, c: 4 } });
    const removed = await invoke(remove, { ...at, method: 'DELETE' });
    const gone = await invoke(get, { ...at, method: 'GET' });

    expect(patched.body.data).toEqual({ a: 1, b: 3, c: 4 });
    expect(removed.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(gone.headers['content-type']).toBe('application/problem+json');
  });

  it('keeps organizations apart: another organization cannot read the record', async () => {
    const { h, caller, create, get } = await setUp();
    const { caller: other } = await h.createOrg('Other Org');
    const { body } = await invoke(create, { method: 'POST', path: '/org/records', body: { secret: 'ours' }, caller });

    const peek = await invoke(get, { method: 'GET', path: `/org/records/${body.id}`, params: { id: body.id }, caller: other });

    expect(peek.status).toBe(404);
  });
});
