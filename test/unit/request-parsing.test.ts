import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { decodeUtf8, jsonIssues, numberSurvives, parseJson } from '#core/http/json.ts';
import { toPointer } from '#core/http/pointer.ts';
import { parseQuery } from '#core/http/query.ts';
import { toEvent } from '../../bin/local-api/gateway.ts';

/** What a parser throws, as the problem's code and pointers; or the value it returned. */
function outcome(parse: () => unknown): unknown {
  try {
    return { value: parse() };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { code: error.code, pointers: error.issues.map((issue) => issue.pointer) };
  }
}

describe('JSON Pointers', () => {
  it('escape ~ and / in every token (RFC 6901)', () => {
    expect(toPointer([])).toBe('');
    expect(toPointer([''])).toBe('/');
    expect(toPointer(['a/b', 'm~n', 0])).toBe('/a~1b/m~0n/0');
  });
});

describe('Request bodies: exact numbers', () => {
  it('keeps every number a double holds exactly as written', () => {
    for (const source of [
      '0',
      '-0',
      '1',
      '1.0',
      '1e2',
      '100E-2',
      '0.1',
      '0.30000000000000004',
      '-1.5',
      '9007199254740991',
      '9007199254740992',
      '-9007199254740992',
      '1e21',
      '123456789012345680000',
      '1.7976931348623157e308',
      '5e-324',
      '2.2250738585072014e-308',
      '0.000001',
      '0e99999999999999999999',
    ]) {
      expect(numberSurvives(source), source).toBe(true);
    }
  });

  it('refuses a number a double would round, overflow or underflow', () => {
    for (const source of [
      '9007199254740993',
      '-9007199254740993',
      '12345678901234567890',
      '123456789012345678901234567890',
      '0.1000000000000000055511151231257827',
      '3.141592653589793238',
      '1e400',
      '-1e400',
      '1.7976931348623159e308',
      '1e-400',
      '2e-324',
      '1e-99999999999999999999',
    ]) {
      expect(numberSurvives(source), source).toBe(false);
    }
  });
});

describe('Request bodies: I-JSON (RFC 7493)', () => {
  it('points at each duplicate name, lone surrogate and inexact number, at any depth', () => {
    const text = String.raw`{"a":1,"a":2,"list":[0,{"b":1,"b":1},[9007199254740993]],"s":"\ud83d","\udc00k":1,"n":{"x":1e400},"ok":"\ud83d\ude00"}`;

    expect(jsonIssues(text).map((issue) => issue.pointer)).toEqual(['/a', '/list/1/b', '/list/2/0', '/s', '/\udc00k', '/n/x']);
  });

  it('tells names apart after unescaping, and scopes them to their object', () => {
    expect(jsonIssues(String.raw`{"a":1,"\u0061":2}`).map((issue) => issue.pointer)).toEqual(['/a']);
    expect(jsonIssues('{"a":{"a":1},"b":[{"a":1},{"a":2}]}')).toEqual([]);
    expect(jsonIssues('{"x":"a,\\"b\\":1","b":1}')).toEqual([]); // a name inside a string is no name
  });

  it('walks any nesting without recursion', () => {
    const deep = `${'['.repeat(30_000)}1e400${']'.repeat(30_000)}`;

    expect(jsonIssues(deep)).toHaveLength(1);
  });

  it('reports at most 20 places', () => {
    const text = `{${Array.from({ length: 50 }, () => '"a":1').join(',')}}`;

    expect(jsonIssues(text)).toHaveLength(20);
  });

  it('parses what it keeps exactly, and answers 400 with pointers or malformed_json otherwise', () => {
    expect(outcome(() => parseJson('{"n":1.0,"z":-0,"s":"\\ud83d\\ude00"}'))).toEqual({ value: { n: 1, z: -0, s: '\u{1f600}' } });
    expect(outcome(() => parseJson('{"a":1,"a":2}'))).toEqual({ code: 'validation_failed', pointers: ['/a'] });
    expect(outcome(() => parseJson('{"a":1,}'))).toEqual({ code: 'malformed_json', pointers: [] });
    expect(outcome(() => parseJson('9007199254740993'))).toEqual({ code: 'validation_failed', pointers: [''] });
  });

  it('refuses bytes that are not UTF-8 rather than read them as U+FFFD', () => {
    expect(decodeUtf8(Buffer.from('{"s":"é"}'))).toBe('{"s":"é"}');
    expect(outcome(() => decodeUtf8(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])))).toEqual({
      code: 'malformed_json',
      pointers: [],
    });
    expect(outcome(() => decodeUtf8(Buffer.from([0x22, 0xed, 0xa0, 0xbd, 0x22])))).toEqual({
      code: 'malformed_json',
      pointers: [],
    });
  });
});

describe('Query strings', () => {
  it('decodes as application/x-www-form-urlencoded: + is a space, %2B a plus', () => {
    expect({ ...parseQuery('organization_name=Acme+Corp&x=a%2Bb&y=%C3%B1&z=') }).toEqual({
      organization_name: 'Acme Corp',
      x: 'a+b',
      y: 'ñ',
      z: '',
    });
    expect({ ...parseQuery('filter%5Bstatus%5D=draft&&flag') }).toEqual({ 'filter[status]': 'draft', flag: '' });
    expect({ ...parseQuery('a=b=c') }).toEqual({ a: 'b=c' });
    expect({ ...parseQuery('') }).toEqual({});
  });

  it('reads well-formed queries as URLSearchParams does (1,000 random ones)', () => {
    const pieces = [
      'a',
      'Z',
      '9',
      '_',
      '-',
      '.',
      '~',
      '+',
      '%20',
      '%2B',
      '%25',
      '%26',
      '%3D',
      '%C3%B1',
      '%E6%9D%B1',
      '%F0%9F%9A%80',
      '=',
    ];
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0; // 32-bit LCG; its high bits vary most
      return (seed >>> 16) % n;
    };
    const text = (max: number) => Array.from({ length: next(max) }, () => pieces[next(pieces.length)]).join('');
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      const pairs = Array.from({ length: 1 + next(4) }, (_, k) => `n${k}${text(4).replaceAll('=', '')}=${text(8)}`);
      const raw = pairs.join(next(5) === 0 ? '&&' : '&');
      seen.add(raw);
      expect({ ...parseQuery(raw) }, raw).toEqual(Object.fromEntries(new URLSearchParams(raw)));
    }
    // The queries vary: nearly all differ, many have a plus, an escape, several pairs.
    const queries = [...seen];
    expect(queries.length).toBeGreaterThan(900);
    for (const mark of ['+', '%', '&']) expect(queries.filter((q) => q.includes(mark)).length).toBeGreaterThan(300);
  });

  it('keeps __proto__ as an ordinary name', () => {
    const query = parseQuery('__proto__=x&constructor=y');

    expect(Object.keys(query)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(query, '__proto__')?.value).toBe('x');
  });

  it('answers a repeated name with 400 naming it, never a comma-joined value', () => {
    expect(outcome(() => parseQuery('limit=5&limit=10'))).toEqual({ code: 'validation_failed', pointers: ['/limit'] });
    expect(outcome(() => parseQuery('filter[status]=a&filter%5Bstatus%5D=b&x=1&x=1'))).toEqual({
      code: 'validation_failed',
      pointers: ['/filter[status]', '/x'],
    });
    expect(outcome(() => parseQuery('a/b=1&a%2Fb=2'))).toEqual({ code: 'validation_failed', pointers: ['/a~1b'] });
  });

  it('answers malformed percent-encoding and bytes that are not UTF-8 with 400 malformed_query', () => {
    for (const raw of ['a=%', 'a=%2', 'a=%zz', 'a=100%', 'a=%FF', 'a=%C3', 'a=%ED%A0%BD', 'a%ZZ=1']) {
      expect(
        outcome(() => parseQuery(raw)),
        raw,
      ).toMatchObject({ code: 'malformed_query' });
    }
  });
});

describe('Local API: payload 2.0 query strings', () => {
  it('passes the raw query string through and joins repeated names with commas, as API Gateway does', () => {
    const url = new URL('http://localhost/org/records?filter[status]=a&filter[status]=b&limit=5&limit=10&q=a%2Cb+c');
    const req = { headers: {}, method: 'GET', httpVersion: '1.1', socket: {} } as unknown as IncomingMessage;
    const route = { method: 'GET', path: '/org/records', function: 'records-list', auth: 'jwt', summary: '', needs: [] } as const;

    const event = toEvent(req, url, Buffer.alloc(0), route);

    expect(event.rawQueryString).toBe('filter[status]=a&filter[status]=b&limit=5&limit=10&q=a%2Cb+c');
    expect(event.queryStringParameters).toEqual({ 'filter[status]': 'a,b', limit: '5,10', q: 'a,b c' });
    expect(outcome(() => parseQuery(event.rawQueryString))).toEqual({
      code: 'validation_failed',
      pointers: ['/filter[status]', '/limit'],
    });
  });
});
