import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { parseQuery } from '#core/http/query.ts';
import {
  dataIssues,
  decodeCursor,
  encodeCursor,
  FIELD_NAME_PATTERN,
  fieldNameProblem,
  MAX_FIELD_NAME_CHARS,
  MAX_RECORD_DEPTH,
  mergeTopLevel,
  nestedArrayPaths,
  nulStringPaths,
  pointAtUnsupported,
  recordBytes,
} from '#core/records/model.ts';
import { ListRecordsQuery, RecordIdParams, recordData } from '#core/records/schemas.ts';

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

  it('refuses every name it could not store, return or query exactly, and keeps ordinary ones', () => {
    const refused = ['', '$set', 'a.b', 'a\u0000', '__proto__', '\ud83d', 'x\udc00y', 'k'.repeat(MAX_FIELD_NAME_CHARS + 1)];
    const kept = [
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '__proto',
      'mid$dle',
      ' ',
      'a b',
      'line\nbreak',
      '\u{1f600}',
    ];

    expect(refused.map((name) => [name, fieldNameProblem(name) !== undefined])).toEqual(refused.map((name) => [name, true]));
    expect(kept.map((name) => [name, fieldNameProblem(name)])).toEqual(kept.map((name) => [name, undefined]));
    expect(fieldNameProblem('\u{1f600}'.repeat(MAX_FIELD_NAME_CHARS))).toBeUndefined(); // characters, not UTF-16 units
  });

  it('states in its JSON Schema pattern the same name rules the code applies', () => {
    const pattern = new RegExp(FIELD_NAME_PATTERN);
    for (const name of ['$set', 'a.b', 'a\u0000', '__proto__', '']) expect(pattern.test(name), name).toBe(false);
    for (const name of ['constructor', 'a b', 'mid$dle', '__proto__x']) expect(pattern.test(name), name).toBe(true);
  });

  it('points at names and values at any depth: in objects, in arrays, in arrays of objects', () => {
    const data = JSON.parse('{"a\\u0000":1,"list":[{"b\\u0000":1},{"__proto__":{"x":1}}],"deep":{"s":"\\ud83d","":2}}');

    expect(dataIssues(data).map((issue) => issue.path)).toEqual([
      ['a\u0000'],
      ['list', 0, 'b\u0000'],
      ['list', 1, '__proto__'],
      ['deep', 's'],
      ['deep', ''],
    ]);
    expect(dataIssues({ n: Number.POSITIVE_INFINITY, m: [Number.NaN] }).map((issue) => issue.path)).toEqual([['n'], ['m', 0]]);
  });

  it('finds arrays nested directly in arrays', () => {
    expect(nestedArrayPaths({ a: [1, [2]], b: { c: [[3], { d: [[4]] }] }, e: [{ f: 1 }] })).toEqual([
      ['a', 1],
      ['b', 'c', 0],
      ['b', 'c', 1, 'd', 0],
    ]);
  });

  it('finds strings holding NUL, in values and arrays, not in names', () => {
    expect(nulStringPaths({ a: 'x\u0000', b: ['ok', '\u0000'], c: { d: 'fine', e: [{ f: '\u0000y' }] } })).toEqual([
      ['a'],
      ['b', 1],
      ['c', 'e', 0, 'f'],
    ]);
  });

  it('points a refusal of the database at nested arrays first, else at strings holding NUL', () => {
    const refusal = new ValidationError('The record holds a value the database cannot store.', [], 'unsupported_value');
    const pointed = (data: Record<string, unknown>) => {
      try {
        pointAtUnsupported(data)(refusal);
      } catch (error) {
        return (error as ValidationError).issues.map((i) => i.pointer);
      }
      return [];
    };

    expect(pointed({ m: [[1]], s: 'a\u0000' })).toEqual(['/m/0']);
    expect(pointed({ s: 'a\u0000', t: ['\u0000'] })).toEqual(['/s', '/t/0']);
    const other = new Error('other');
    expect(() => pointAtUnsupported({ s: '\u0000' })(other)).toThrow(other);
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

  it('merges every name as a field, whatever JavaScript makes of it', () => {
    const merged = mergeTopLevel({ constructor: 1 }, JSON.parse('{"__proto__":{"x":1},"prototype":2}'));

    expect(Object.keys(merged)).toEqual(['constructor', '__proto__', 'prototype']);
    expect(JSON.stringify(merged)).toBe('{"constructor":1,"__proto__":{"x":1},"prototype":2}');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
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
  it('takes a record body as it is, or names every place it refuses', () => {
    const body = JSON.parse('{"constructor":1,"prototype":{"x":[1,{"y":null}]},"n":-1.5}');

    expect(recordData.parse(body)).toEqual(body);
    const refused = recordData.safeParse(JSON.parse('{"__proto__":1,"ok":{"$in":[1]},"":2}'));
    expect(refused.error?.issues.map((issue) => issue.path)).toEqual([['__proto__'], ['ok', '$in'], ['']]);
    for (const notObject of [[1], 'text', null, 3]) expect(recordData.safeParse(notObject).success).toBe(false);
  });

  it('reads filter[<field>] query parameters into filters, with limits and defaults', () => {
    expect(ListRecordsQuery.parse({})).toEqual({ limit: 20, filter: {} });
    expect(ListRecordsQuery.parse({ limit: '5', 'filter[status]': 'open', 'filter[n]': '3' })).toEqual({
      limit: 5,
      filter: { status: 'open', n: '3' },
    });
    expect(ListRecordsQuery.parse(parseQuery('filter[constructor]=x&filter%5Bprototype%5D=y'))).toEqual({
      limit: 20,
      filter: { constructor: 'x', prototype: 'y' },
    });
    expect(ListRecordsQuery.safeParse({ status: 'open' }).success).toBe(false);
  });

  it('refuses filter names by the record name rules, pointing at the parameter as sent', () => {
    const pointers = (query: string) =>
      ListRecordsQuery.safeParse(parseQuery(query)).error?.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys' ? issue.keys : [issue.path.join('|')],
      );

    for (const name of ['$where', 'a.b', '__proto__', '', 'a%00', 'k'.repeat(MAX_FIELD_NAME_CHARS + 1)]) {
      const decoded = decodeURIComponent(name);
      expect(pointers(`filter[${name}]=x`), name).toEqual([`filter[${decoded}]`]);
    }
    expect(pointers('filter[a]b]=x')).toEqual(['filter[a]b]']); // not a filter parameter: an unknown one
    expect(pointers('filter[a][b]=x')).toEqual(['filter[a][b]']);
    expect(pointers(`filter[s]=${'v'.repeat(1025)}`)).toEqual(['filter[s]']);
    expect(pointers(`filter[s]=${'\u{1f600}'.repeat(1024)}`)).toBeUndefined(); // characters, not UTF-16 units
    const many = Array.from({ length: 11 }, (_, i) => `filter[f${i}]=x`).join('&');
    expect(pointers(many)).toEqual(['filter']);
  });

  it('says what a limit must be', () => {
    for (const limit of ['0', '101', '1.5', 'ten', '']) {
      expect(ListRecordsQuery.safeParse({ limit }).error?.issues[0]?.message, limit).toBe('must be a whole number from 1 to 100');
    }
  });

  it('takes record ids in either case and nothing else', () => {
    expect(RecordIdParams.parse({ id: '65F1C0FFEE0123456789ABCD' })).toEqual({ id: '65f1c0ffee0123456789abcd' });
    expect(RecordIdParams.safeParse({ id: '65f1c0ffee0123456789abc' }).success).toBe(false);
    expect(RecordIdParams.safeParse({ id: { $ne: null } }).success).toBe(false);
  });
});
