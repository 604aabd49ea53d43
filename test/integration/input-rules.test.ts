import bcrypt from 'bcryptjs';
import { MongoServerError } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpResult } from '#core/http/endpoint.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as changePassword } from '../../functions/me-password/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as getRecord } from '../../functions/records-get/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { handler as patchRecord } from '../../functions/records-patch/handler.ts';
import { handler as replaceRecord } from '../../functions/records-replace/handler.ts';
import { authorizeToken } from '../support/auth.ts';
import { masterDb, useTestDatabase } from '../support/db.ts';
import { type EventOptions, httpEvent, lambdaContext } from '../support/events.ts';

/**
 * Input that cannot round-trip, through the real handlers and database: passwords in any Unicode
 * form, query strings with repeated or malformed parameters, record names and values that the
 * database, BSON or JavaScript would change. Whatever a 2xx says was stored is what a later read
 * returns, byte for byte; everything else is a 400 that points at the place.
 */

useTestDatabase();

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
interface Raw {
  readonly status: number;
  readonly text: string;
  readonly body: any;
}

/** `queryStringParameters` as API Gateway builds it: repeated names joined with commas. */
function gatewayParameters(raw: string): Record<string, string> | undefined {
  const joined: Record<string, string> = {};
  try {
    for (const [key, value] of new URLSearchParams(raw)) joined[key] = key in joined ? `${joined[key]},${value}` : value;
  } catch {
    return undefined;
  }
  return Object.keys(joined).length > 0 ? joined : undefined;
}

/** Invokes a handler with a raw query string and/or raw body, and keeps the answer's text. */
async function call(handler: unknown, options: EventOptions & { rawQuery?: string; bodyBytes?: Buffer }): Promise<Raw> {
  const event = httpEvent(options);
  if (options.bodyBytes) {
    event.body = options.bodyBytes.toString('base64'); // as API Gateway passes bytes it does not read as text
    event.isBase64Encoded = true;
  }
  if (options.rawQuery !== undefined) {
    event.rawQueryString = options.rawQuery;
    event.queryStringParameters = gatewayParameters(options.rawQuery);
  }
  const result = (await (handler as Handler)(event, lambdaContext)) as HttpResult;
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, text, body: text ? JSON.parse(text) : undefined };
}

/**
 * Whether the server itself keeps a string holding U+0000, asked with the driver alone: MongoDB and
 * FerretDB on SQLite do, FerretDB on PostgreSQL refuses it (PostgreSQL's jsonb cannot hold NUL).
 */
async function databaseStoresNul(): Promise<boolean> {
  const probe = masterDb().collection<{ _id: string; s: string }>('nul_probe');
  try {
    await probe.insertOne({ _id: 'nul', s: 'a\u0000b' });
    return (await probe.findOne({ _id: 'nul' }))?.s === 'a\u0000b';
  } catch (error) {
    if (error instanceof MongoServerError) return false;
    throw error;
  } finally {
    await probe.drop().catch(() => {});
  }
}

const pointers = (answer: Raw): string[] => (answer.body?.errors ?? []).map((e: { pointer: string }) => e.pointer);

async function signUp(name: string, email: string, password: string): Promise<Raw> {
  return call(createOrg, { method: 'POST', path: '/org/create', body: { organization_name: name, email, password } });
}
async function logIn(email: string, password: string): Promise<Raw> {
  return call(login, { method: 'POST', path: '/admin/login', body: { email, password } });
}
async function callerFor(email: string, password: string) {
  const answer = await logIn(email, password);
  expect(answer.status, answer.text).toBe(200);
  const context = await authorizeToken(answer.body.access_token);
  if (!context) throw new Error('token refused');
  return { userId: context.userId, orgId: context.orgId };
}

const composed = 'ma\u00f1ana secret';
const decomposed = 'man\u0303ana secret';

describe('Passwords in any Unicode form', () => {
  it('lets an admin who signed up with a composed ñ log in with a decomposed one, and the reverse', async () => {
    expect((await signUp('Composed Co', 'composed@input.example', composed)).status).toBe(201);
    expect((await signUp('Decomposed Co', 'decomposed@input.example', decomposed)).status).toBe(201);

    expect((await logIn('composed@input.example', decomposed)).status).toBe(200);
    expect((await logIn('composed@input.example', composed)).status).toBe(200);
    expect((await logIn('composed@input.example', 'ma\u00f1ana\u00a0secret')).status).toBe(200); // no-break space
    expect((await logIn('decomposed@input.example', composed)).status).toBe(200);
    expect((await logIn('decomposed@input.example', 'manana secret')).status).toBe(401);
  });

  it('prepares a changed password the same way', async () => {
    expect((await signUp('Changer Co', 'changer@input.example', 'first password')).status).toBe(201);
    const caller = await callerFor('changer@input.example', 'first password');

    const changed = await call(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller,
      body: { current_password: 'first password', new_password: 'A\u030angstr\u00f6m\u3000pass' }, // Å decomposed, ideographic space
    });

    expect(changed.status, changed.text).toBe(204);
    expect((await logIn('changer@input.example', '\u00c5ngstr\u00f6m pass')).status).toBe(200);
    expect((await logIn('changer@input.example', 'A\u030angstr\u00f6m\u3000pass')).status).toBe(200);
    expect((await logIn('changer@input.example', 'first password')).status).toBe(401);
  });

  it('keeps hashes made before preparation working, and replaces them on the next login', async () => {
    expect((await signUp('Legacy Co', 'legacy@input.example', 'placeholder pw')).status).toBe(201);
    const admins = masterDb().collection('admins');
    const legacy = bcrypt.hashSync(decomposed, 4); // as the service hashed it before: the password as typed
    await admins.updateOne({ email: 'legacy@input.example' }, { $set: { passwordHash: legacy } });

    expect((await logIn('legacy@input.example', decomposed)).status).toBe(200);

    const stored = (await admins.findOne({ email: 'legacy@input.example' }))?.passwordHash as string;
    expect(stored).not.toBe(legacy);
    expect(await bcrypt.compare(composed, stored)).toBe(true);
    expect((await logIn('legacy@input.example', composed)).status).toBe(200);
    expect((await logIn('legacy@input.example', decomposed)).status).toBe(200);
  });

  it('measures the 72-byte limit on the prepared form and refuses controls, at sign-up and on change', async () => {
    const fits = 'e\u0301'.repeat(36); // 108 bytes as typed, 72 once composed
    expect((await signUp('Long Co', 'long@input.example', fits)).status).toBe(201);
    expect((await logIn('long@input.example', '\u00e9'.repeat(36))).status).toBe(200);

    for (const [password, message] of [
      ['e\u0301'.repeat(37), /72 bytes/],
      ['\u{1f600}'.repeat(7), /at least 8 characters/],
      ['tab\tinside it', /U\+0009/],
      ['nul\u0000inside it', /U\+0000/],
    ] as const) {
      const answer = await signUp('Refused Co', 'refused@input.example', password);
      expect(answer.status, password).toBe(400);
      expect(answer.body.errors).toEqual([{ pointer: '/password', message: expect.stringMatching(message) }]);
    }
    const caller = await callerFor('long@input.example', fits);
    const change = await call(changePassword, {
      method: 'PUT',
      path: '/me/password',
      caller,
      body: { current_password: fits, new_password: 'bell\u0007 password' },
    });
    expect(change.status).toBe(400);
    expect(pointers(change)).toEqual(['/new_password']);
  });
});

describe('Query strings', () => {
  let caller: { userId: string; orgId: string };
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    expect((await signUp('Query Co', 'query@input.example', 'query password')).status).toBe(201);
    caller = await callerFor('query@input.example', 'query password');
    for (const status of ['a,b', 'a', 'b', 'in progress', '1+1']) {
      ids[status] = (await call(createRecord, { method: 'POST', path: '/org/records', caller, body: { status } })).body.id;
    }
    ids.constructor = (
      await call(createRecord, { method: 'POST', path: '/org/records', caller, body: { constructor: 'c' } })
    ).body.id;
  });

  const list = (rawQuery: string) => call(listRecords, { method: 'GET', path: '/org/records', caller, rawQuery });
  const listed = async (rawQuery: string) => {
    const answer = await list(rawQuery);
    expect(answer.status, answer.text).toBe(200);
    return answer.body.records.map((r: { id: string }) => r.id);
  };

  it('answers a repeated parameter with 400 naming it, never as a comma-joined value', async () => {
    const repeatedFilter = await list('filter[status]=a&filter[status]=b');
    const repeatedLimit = await list('limit=5&limit=10');

    expect(repeatedFilter).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(repeatedFilter.body.errors).toEqual([{ pointer: '/filter[status]', message: 'must be given once' }]);
    expect(repeatedLimit.status).toBe(400);
    expect(repeatedLimit.body.errors).toEqual([{ pointer: '/limit', message: 'must be given once' }]);
    expect(await listed('filter[status]=a%2Cb')).toEqual([ids['a,b']]);
  });

  it('decodes + as a space and %2B as a plus, as forms and URLSearchParams encode them', async () => {
    expect(await listed('filter%5Bstatus%5D=in+progress')).toEqual([ids['in progress']]);
    expect(await listed('filter[status]=in%20progress')).toEqual([ids['in progress']]);
    expect(await listed('filter[status]=1%2B1')).toEqual([ids['1+1']]);
    expect(await listed('filter[status]=a&limit=1')).toEqual([ids.a]);
  });

  it('applies the record name rules to filter names, naming the parameter', async () => {
    for (const [raw, pointer] of [
      ['filter[__proto__]=x', '/filter[__proto__]'],
      ['filter[a%00]=x', '/filter[a\u0000]'],
      ['filter[$where]=x', '/filter[$where]'],
      ['filter[a.b]=x', '/filter[a.b]'],
      ['filter[]=x', '/filter[]'],
      [`filter[${'k'.repeat(257)}]=x`, `/filter[${'k'.repeat(257)}]`],
      ['status=draft', '/status'],
      ['filter[a][b]=x', '/filter[a][b]'],
    ]) {
      const answer = await list(raw as string);
      expect(answer.status, raw).toBe(400);
      expect(pointers(answer), raw).toEqual([pointer]);
    }
    expect(await listed('filter[constructor]=c')).toEqual([ids.constructor]);
  });

  it('filters on field names with surrounding spaces, or answers 400 naming the parameter, never 500', async () => {
    for (const raw of ['filter[%20a]=x', 'filter[a%20]=x', 'filter[%20]=x', 'filter[status]=a&filter[%20b%20]=y']) {
      const answer = await list(raw);
      expect(answer.status, `${raw}: ${answer.text}`).not.toBeGreaterThanOrEqual(500);
      if (answer.status !== 200) {
        expect(answer.status, raw).toBe(400);
        expect(answer.body.code, raw).toBe('unsupported_filter');
        expect(
          pointers(answer).every((p) => p.startsWith('/filter[')),
          raw,
        ).toBe(true);
      }
    }
  });

  it('answers malformed percent-encoding with 400 malformed_query on every route with a query', async () => {
    const answers = [
      await list('filter[status]=%zz'),
      await list('limit=%E0%A4%A'),
      await call(getOrg, { method: 'GET', path: '/org/get', rawQuery: 'organization_name=Query%' }),
      await call(deleteOrg, { method: 'DELETE', path: '/org/delete', caller, rawQuery: 'organization_name=%FFQuery' }),
    ];

    expect(answers.map((a) => [a.status, a.body.code])).toEqual(Array(4).fill([400, 'malformed_query']));
  });

  it('refuses a repeated organization_name on the organization routes, and deletes nothing', async () => {
    const get = await call(getOrg, {
      method: 'GET',
      path: '/org/get',
      rawQuery: 'organization_name=Query+Co&organization_name=Other',
    });
    const del = await call(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller,
      rawQuery: 'organization_name=Query%20Co&organization_name=Query%20Co',
    });

    expect([get.status, pointers(get)]).toEqual([400, ['/organization_name']]);
    expect([del.status, pointers(del)]).toEqual([400, ['/organization_name']]);
    const found = await call(getOrg, { method: 'GET', path: '/org/get', rawQuery: 'organization_name=Query+Co' });
    expect(found).toMatchObject({ status: 200, body: { organization_name: 'Query Co' } });
  });
});

/** 50 nested objects under the top: the deepest allowed; one more is refused. */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Bodies the service must keep exactly (raw JSON text, as a client sends it). */
const accepted: [string, string][] = [
  [
    'ordinary JavaScript names',
    '{"constructor":1,"prototype":{"constructor":"x"},"toString":"s","hasOwnProperty":true,"__proto":0}',
  ],
  [
    'names with spaces, brackets, controls and emoji',
    '{" ":1,"a b":2,"[x]":3,"line\\nbreak":4,"\\u0001":5,"😀":6,"é":7,"mid$dle":8}',
  ],
  ['names that look like numbers', '{"b":1,"2":2,"1":3,"-1":4,"01":5}'],
  ['the longest names', `{"${'k'.repeat(256)}":1,"${'😀'.repeat(256)}":2}`],
  ['astral characters and escapes', '{"s":"\\ud83d\\ude00 😀","e":"\\u00e9 é e\\u0301","q":"\\"\\\\\\/"}'],
  [
    'exact numbers',
    '{"a":0,"b":1.5,"c":0.1,"d":9007199254740992,"e":-9007199254740992,"f":1e21,"g":5e-324,"h":1.7976931348623157e308,"i":2147483648,"j":-2147483649,"k":1E2,"l":100e-2,"m":0.30000000000000004}',
  ],
  ['numbers written another way', '{"a":1.0,"b":-0,"c":0.0,"d":1e0}'],
  ['empty containers, null and booleans', '{"o":{},"a":[],"n":null,"t":true,"f":false}'],
  ['arrays of objects and objects of arrays', '{"a":[{"b":[1,{"c":[2,"x",null]}]}],"d":{"e":[{"f":{}}]}}'],
  ['the deepest nesting', nested(50)],
  ['an empty object', '{}'],
];

/** Bodies the service must refuse, with the pointer it must name. */
const refused: [string, string, string][] = [
  ['NUL in a name', '{"a\\u0000":1}', '/a\u0000'],
  ['NUL in a name inside an array', '{"a":[{"b\\u0000":1}]}', '/a/0/b\u0000'],
  ['__proto__ at the top', '{"__proto__":1}', '/__proto__'],
  ['__proto__ nested', '{"a":{"__proto__":{"x":1}}}', '/a/__proto__'],
  ['a lone surrogate in a value', '{"s":"\\ud83d"}', '/s'],
  ['a lone low surrogate in an array', '{"a":["ok","\\udc00"]}', '/a/1'],
  ['a lone surrogate in a name', '{"\\ud83d":1}', '/\ud83d'],
  ['an integer past 2^53', '{"n":9007199254740993}', '/n'],
  ['a negative integer past 2^53, nested', '{"a":{"n":-12345678901234567890}}', '/a/n'],
  ['more digits than a double keeps', '{"pi":3.14159265358979323846}', '/pi'],
  ['a number too large for a double', '{"n":1e400}', '/n'],
  ['a number too small for a double', '{"n":[1e-400]}', '/n/0'],
  ['a duplicate name', '{"a":1,"a":2}', '/a'],
  ['a duplicate name written with an escape', '{"a":1,"\\u0061":2}', '/a'],
  ['a duplicate nested name', '{"x":{"b":1,"b":1}}', '/x/b'],
  ['an empty name', '{"":1}', '/'],
  ['an empty nested name', '{"a":{"":1}}', '/a/'],
  ['a name over 256 characters', `{"${'k'.repeat(257)}":1}`, `/${'k'.repeat(257)}`],
  ['a $ name', '{"a":{"$set":1}}', '/a/$set'],
  ['a dotted name', '{"a.b":1}', '/a.b'],
  ['nesting past the limit', nested(51), `/${Array(50).fill('a').join('/')}`],
];

describe('Record names and values', () => {
  let caller: { userId: string; orgId: string };
  let existing: { id: string; text: string };

  const create = (text: string) => call(createRecord, { method: 'POST', path: '/org/records', caller, rawBody: text });
  const read = (id: string) => call(getRecord, { method: 'GET', path: `/org/records/${id}`, params: { id }, caller });
  const replace = (id: string, text: string) =>
    call(replaceRecord, { method: 'PUT', path: `/org/records/${id}`, params: { id }, caller, rawBody: text });
  const patch = (id: string, text: string) =>
    call(patchRecord, {
      method: 'PATCH',
      path: `/org/records/${id}`,
      params: { id },
      caller,
      rawBody: text,
      headers: { 'content-type': 'application/merge-patch+json' },
    });
  const count = async () =>
    (await call(listRecords, { method: 'GET', path: '/org/records', caller, rawQuery: 'limit=100' })).body.records.length;

  beforeAll(async () => {
    expect((await signUp('Records Input Co', 'records@input.example', 'records password')).status).toBe(201);
    caller = await callerFor('records@input.example', 'records password');
    const made = await create('{"keep":"me"}');
    existing = { id: made.body.id, text: (await read(made.body.id)).text };
  });

  /** POST, then PUT and PATCH of the same text: every 2xx and every later read say the same, byte for byte. */
  async function expectStoredExactly(text: string): Promise<void> {
    const created = await create(text);
    expect(created.status, created.text).toBe(201);
    // The same JSON value as sent (as JSON writes it: 1.0 is 1, -0 is 0), every name kept.
    expect(JSON.stringify(created.body.data)).toBe(JSON.stringify(JSON.parse(text)));
    const id = created.body.id as string;
    expect((await read(id)).text).toBe(created.text);

    const replaced = await replace(id, text);
    expect(replaced.status, replaced.text).toBe(200);
    expect((await read(id)).text).toBe(replaced.text);
    expect(replaced.body.data).toEqual(created.body.data);

    const emptied = await replace(id, '{}');
    const patched = await patch(id, text);
    expect([emptied.status, patched.status]).toEqual([200, 200]);
    expect((await read(id)).text).toBe(patched.text);
    expect(JSON.stringify(patched.body.data)).toBe(
      JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text)).filter(([, v]) => v !== null))),
    );
  }

  it.each(accepted)('stores %s exactly: the 201, 200s and later reads say the same, byte for byte', async (_title, text) => {
    await expectStoredExactly(text);
  });

  it('stores NUL and other controls in strings exactly where the database can, else refuses them with 400 and pointers', async () => {
    const text = '{"s":"a\\u0000b","c":"\\u0001\\u001f\\u007f","m":["\\u0000"]}';

    if (await databaseStoresNul()) {
      await expectStoredExactly(text);
      return;
    }
    const before = await count();
    const answers = [await create(text), await replace(existing.id, text), await patch(existing.id, text)];
    for (const answer of answers) {
      expect([answer.status, answer.body.code], answer.text).toEqual([400, 'unsupported_value']);
      expect(pointers(answer)).toEqual(['/s', '/m/0']);
      expect(answer.text).not.toMatch(/BSON|Mongo|SQLSTATE|driver|stack/i);
    }
    expect(await count()).toBe(before);
    expect((await read(existing.id)).text).toBe(existing.text);
  });

  it.each(refused)(
    'refuses %s with 400 and a pointer, on POST, PUT and PATCH, storing nothing',
    async (_title, text, pointer) => {
      const before = await count();

      const answers = [await create(text), await replace(existing.id, text), await patch(existing.id, text)];

      for (const answer of answers) {
        expect(answer.status, answer.text).toBe(400);
        expect(answer.body.code).toBe('validation_failed');
        expect(pointers(answer)).toContain(pointer);
        expect(answer.text).not.toMatch(/BSON|Mongo|driver|stack/i);
      }
      expect(await count()).toBe(before);
      expect((await read(existing.id)).text).toBe(existing.text);
    },
  );

  it('refuses a body that is not UTF-8 rather than store U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);

    const answer = await call(createRecord, { method: 'POST', path: '/org/records', caller, bodyBytes: bytes });

    expect([answer.status, answer.body.code]).toEqual([400, 'malformed_json']);
  });

  it('refuses a merge that would remove a name that cannot exist, and keeps the record', async () => {
    for (const [text, pointer] of [
      ['{"__proto__":null}', '/__proto__'],
      ['{"a\\u0000":null}', '/a\u0000'],
      ['{"keep":null,"keep":"again"}', '/keep'],
    ]) {
      const answer = await patch(existing.id, text as string);
      expect([answer.status, pointers(answer)], text).toEqual([400, [pointer]]);
    }
    expect((await read(existing.id)).text).toBe(existing.text);
  });

  it('stores arrays inside arrays exactly, or refuses them with pointers where the database cannot', async () => {
    const text = '{"m":[[1,2],[3,[4]]],"ok":[1]}';

    const created = await create(text);

    if (created.status === 201) {
      expect((await read(created.body.id)).text).toBe(created.text);
      expect(created.body.data).toEqual(JSON.parse(text));
    } else {
      expect(created.status).toBe(400);
      expect(created.body.code).toBe('unsupported_value');
      expect(pointers(created)).toEqual(['/m/0', '/m/1']);
    }
  });
});
