import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuery } from '#core/http/query.ts';
import { fieldNameProblem, MAX_FIELD_NAME_CHARS } from '#core/records/model.ts';
import { ListRecordsQuery } from '#core/records/schemas.ts';
import { DOCUMENT_PATH } from '../../bin/openapi.ts';

/**
 * The API document as a generated client or a schema-driven fuzzer reads it: parameters serialized
 * in their documented style reach the service as it expects them, examples satisfy their schemas,
 * and the rules the schemas state are the rules the code applies.
 */

type Json = Record<string, any>;
let doc: Json;
let ajv: Ajv2020;

beforeAll(async () => {
  doc = JSON.parse(await readFile(DOCUMENT_PATH, 'utf8'));
  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema(doc, 'openapi');
});

const operation = (path: string, method: string): Json => doc.paths[path][method];
const parameter = (path: string, method: string, name: string): Json =>
  operation(path, method).parameters.find((p: Json) => p.name === name);
const validator = (pointer: string) => ajv.compile({ $ref: `openapi#${pointer}` });

/** A query string as OpenAPI 3.1 serializes parameters of style `form` and `deepObject` (explode). */
function serialize(parameters: Json[], values: Record<string, unknown>): string {
  const pairs: string[] = [];
  for (const p of parameters) {
    const value = values[p.name];
    if (value === undefined) continue;
    if (p.style === 'deepObject') {
      for (const [key, item] of Object.entries(value as object)) {
        pairs.push(`${encodeURIComponent(`${p.name}[${key}]`)}=${encodeURIComponent(String(item))}`);
      }
    } else {
      pairs.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(String(value))}`);
    }
  }
  return pairs.join('&');
}

/** A deterministic stream of awkward strings: the characters every name rule is about. */
function* awkwardStrings(count: number): Generator<string> {
  const alphabet = ['a', 'Z', '0', '$', '.', '\u0000', '_', '[', ']', ' ', '~', '/', 'é', '\u{1f600}', '\n', '%', '+'];
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  yield* ['__proto__', 'constructor', '', 'k'.repeat(MAX_FIELD_NAME_CHARS), 'k'.repeat(MAX_FIELD_NAME_CHARS + 1)];
  yield '\u{1f600}'.repeat(MAX_FIELD_NAME_CHARS);
  for (let i = 0; i < count; i += 1) {
    const length = next() % 6 === 0 ? 250 + (next() % 12) : next() % 8;
    yield Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
  }
}

describe('API document: the records list query', () => {
  it('documents filter as a deepObject, so clients send filter[field]=value', () => {
    const filter = parameter('/org/records', 'get', 'filter');

    expect(filter).toMatchObject({ in: 'query', style: 'deepObject', explode: true });
    expect(filter.schema).toMatchObject({ type: 'object', maxProperties: 10, additionalProperties: { maxLength: 1024 } });
  });

  it('gives limit an example of its own type', () => {
    const limit = parameter('/org/records', 'get', 'limit');

    expect(limit.example).toBe(10);
    expect(ajv.validate(limit.schema, limit.example)).toBe(true);
  });

  it('is read by the service exactly as a client serializes it from the document', () => {
    const { parameters } = operation('/org/records', 'get');

    const query = serialize(parameters, { limit: 10, filter: { status: 'in progress', 'a b': 'x+y', constructor: '1' } });

    expect(query).toBe('limit=10&filter%5Bstatus%5D=in%20progress&filter%5Ba%20b%5D=x%2By&filter%5Bconstructor%5D=1');
    expect(ListRecordsQuery.parse(parseQuery(query))).toEqual({
      limit: 10,
      filter: { status: 'in progress', 'a b': 'x+y', constructor: '1' },
    });
  });

  it('states the filter name rules the service applies (names with lone surrogates aside)', () => {
    const index = operation('/org/records', 'get').parameters.findIndex((p: Json) => p.name === 'filter');
    const names = validator(`/paths/~1org~1records/get/parameters/${index}/schema/propertyNames`);
    const disagreements: string[] = [];
    for (const name of awkwardStrings(3000)) {
      const accepted = ListRecordsQuery.safeParse(parseQuery(`filter[${encodeURIComponent(name)}]=x`)).success;
      if (names(name) !== accepted) disagreements.push(JSON.stringify(name));
    }

    expect(parameter('/org/records', 'get', 'filter').schema.propertyNames).toBeDefined();
    expect(disagreements).toEqual([]);
  });
});

describe('API document: record bodies', () => {
  it('states the field name rules at any depth, as the code applies them', () => {
    const fieldName = validator('/components/schemas/FieldName');
    const disagreements: string[] = [];
    for (const name of awkwardStrings(3000)) {
      if (fieldName(name) !== (fieldNameProblem(name) === undefined)) disagreements.push(JSON.stringify(name));
    }

    expect(disagreements).toEqual([]);
    expect(doc.components.schemas.RecordValue).toMatchObject({
      propertyNames: { $ref: '#/components/schemas/FieldName' },
      additionalProperties: { $ref: '#/components/schemas/RecordValue' },
      items: { $ref: '#/components/schemas/RecordValue' },
    });
  });

  it('refuses, by schema alone, the names the service refuses at depth', () => {
    const body = validator('/components/schemas/RecordData');

    expect(body({ a: [{ b: { ok: 1 } }], constructor: 1 })).toBe(true);
    for (const bad of [
      { $set: 1 },
      { a: { 'b.c': 1 } },
      { a: [{ '': 1 }] },
      JSON.parse('{"a":{"__proto__":1}}'),
      { a: [[{ 'x\u0000': 1 }]] },
    ]) {
      expect(body(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('lists every JSON media type a route takes: PATCH takes merge patches', () => {
    const patch = operation('/org/records/{id}', 'patch');

    expect(Object.keys(patch.requestBody.content)).toEqual(['application/json', 'application/merge-patch+json']);
    expect(patch.requestBody.content['application/merge-patch+json'].example).toEqual({ stage: 'won', amount: null });
  });
});

describe('API document: error descriptions', () => {
  const records: [string, string][] = [
    ['/org/records', 'post'],
    ['/org/records', 'get'],
    ['/org/records/{id}', 'get'],
    ['/org/records/{id}', 'put'],
    ['/org/records/{id}', 'patch'],
    ['/org/records/{id}', 'delete'],
  ];

  it('speaks of records, not organizations, on the records routes', () => {
    for (const [path, method] of records) {
      const { responses } = operation(path, method);
      expect(responses['404']?.description, `${method} ${path}`).not.toBe('No such organization.');
      if (path.endsWith('{id}')) expect(responses['404'].description).toContain('record_not_found');
      expect(responses['409']?.description ?? '', `${method} ${path}`).not.toMatch(/name or email/);
      expect(responses['503'].description).toContain('organization_migrating');
    }
  });

  it('documents 409 only where the service can answer it: a merge that keeps meeting other writes', () => {
    const with409 = records.filter(([path, method]) => operation(path, method).responses['409']);

    expect(with409).toEqual([['/org/records/{id}', 'patch']]);
    expect(operation('/org/records/{id}', 'patch').responses['409'].description).toContain('record_busy');
  });

  it('documents 404 for the routes that answer it when the organization is gone', () => {
    for (const [path, method] of records) expect(operation(path, method).responses['404'], `${method} ${path}`).toBeDefined();
  });
});

describe("API document: the gateway's own answers", () => {
  const operations = () =>
    Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.entries(ops as Json).map(([method, op]) => ({ label: `${method} ${path}`, op: op as Json })),
    );

  it('lists 431, without a body, on every operation: any request line and headers can be too large', () => {
    for (const { label, op } of operations()) {
      expect(op.responses['431'], label).toBeDefined();
      expect(op.responses['431'].content, label).toBeUndefined();
    }
  });

  it("lists API Gateway's 413 beside the service's own on every operation that takes a body", () => {
    const withBody = operations().filter(({ op }) => op.requestBody);

    expect(withBody.length).toBeGreaterThan(0);
    for (const { label, op } of withBody) {
      expect(Object.keys(op.responses['413'].content), label).toEqual(['application/problem+json', 'application/json']);
      expect(op.responses['413'].content['application/json'].schema, label).toEqual({
        $ref: '#/components/schemas/GatewayMessage',
      });
    }
  });
});
