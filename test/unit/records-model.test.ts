import { describe, expect, it } from 'vitest';
import { dataIssues, decodeCursor, encodeCursor, MAX_RECORD_DEPTH, mergeTopLevel, recordBytes } from '#core/records/model.ts';
import { ListRecordsQuery, RecordIdParams } from '#core/records/schemas.ts';

describe('Records: data rules', () => {
  it('names every field the database would refuse, at any depth', () => {
    const issues = dataIssues({ ok: 1, $bad: 1, 'a.b': 2, nested: { list: [{ $in: 1 }, { fine: { 'x.y': 0 } }] }, mid$dle: 1 });

    expect(issues).toEqual([
      { path: ['$bad'], message: 'field names must not start with "$"' },
      { path: ['a.b'], message: 'field names must not contain "."' },
      { path: ['nested', 'list', 0, '$in'], message: 'field names must not start with "$"' },
      { path: ['nested', 'list', 1, 'fine', 'x.y'], message: 'field names must not contain "."' },
    ]);
  });

  it('refuses nesting deeper than the limit without walking it all', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = [deep];

    expect(dataIssues({ deep })).toEqual([{ path: expect.any(Array), message: expect.stringMatching(/nest deeper/) }]);
    expect(dataIssues({ d: JSON.parse(`${'['.repeat(MAX_RECORD_DEPTH - 2)}1${']'.repeat(MAX_RECORD_DEPTH - 2)}`) })).toEqual([]);
  });

  it('merges top-level fields, a null removing one', () => {
    expect(mergeTopLevel({ a: 1, b: { c: 2 }, d: 3 }, { b: { e: 4 }, d: null, f: [] })).toEqual({ a: 1, b: { e: 4 }, f: [] });
  });

  it('counts a record by its JSON in UTF-8', () => {
    expect(recordBytes({ s: 'é' })).toBe(Buffer.byteLength('{"s":"é"}'));
  });
});

describe('Records: cursors', () => {
  it('round-trips a position and refuses anything it did not make', () => {
    const position = { createdAt: new Date('2026-02-03T04:05:06.789Z'), id: '65f1c0ffee0123456789abcd' };
    const cursor = encodeCursor(position);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
    for (const bad of [
      '',
      'not base64!',
      Buffer.from('{"t":"x","i":"y"}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      expect(decodeCursor(bad), bad).toBeNull();
    }
  });
});

describe('Records: request schemas', () => {
  it('reads filter[<field>] query parameters into filters, with limits and defaults', () => {
    expect(ListRecordsQuery.parse({})).toEqual({ limit: 20, filter: {} });
    expect(ListRecordsQuery.parse({ limit: '5', 'filter[status]': 'open', 'filter[n]': '3' })).toEqual({
      limit: 5,
      filter: { status: 'open', n: '3' },
    });
    expect(ListRecordsQuery.safeParse({ 'filter[$where]': '1' }).success).toBe(false);
    expect(ListRecordsQuery.safeParse({ 'filter[a][b]': '1' }).success).toBe(false);
    expect(ListRecordsQuery.safeParse({ status: 'open' }).success).toBe(false);
    const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`filter[f${i}]`, 'x']));
    expect(ListRecordsQuery.safeParse(many).success).toBe(false);
  });

  it('takes record ids in either case and nothing else', () => {
    expect(RecordIdParams.parse({ id: '65F1C0FFEE0123456789ABCD' })).toEqual({ id: '65f1c0ffee0123456789abcd' });
    expect(RecordIdParams.safeParse({ id: '65f1c0ffee0123456789abc' }).success).toBe(false);
    expect(RecordIdParams.safeParse({ id: { $ne: null } }).success).toBe(false);
  });
});
