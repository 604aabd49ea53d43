import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_PATH } from '../../bin/openapi.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * Requests the API document and the real handlers judge alike: where the document says a request is
 * invalid, the handler answers 400 pointing at the same place, and where it says valid, the handler
 * does not refuse it for that reason. Each case is one where a schema-driven fuzzer (`npm run fuzz`)
 * found the two apart.
 */

useTestDatabase();

type Json = Record<string, any>;
let doc: Json;
let ajv: Ajv2020;

beforeAll(async () => {
  doc = JSON.parse(await readFile(DOCUMENT_PATH, 'utf8'));
  ajv = new Ajv2020({ strict: false, validateFormats: false });
  ajv.addSchema(doc, 'openapi');
});

const pathToken = (path: string) => path.replaceAll('~', '~0').replaceAll('/', '~1');
const bodySchema = (path: string, method: string) =>
  ajv.compile({ $ref: `openapi#/paths/${pathToken(path)}/${method}/requestBody/content/application~1json/schema` });
const parameterSchema = (path: string, method: string, name: string) => {
  const index = doc.paths[path][method].parameters.findIndex((p: Json) => p.name === name);
  return ajv.compile({ $ref: `openapi#/paths/${pathToken(path)}/${method}/parameters/${index}/schema` });
};
const pointers = (body: Json | undefined): string[] => (body?.errors ?? []).map((e: { pointer: string }) => e.pointer);

const password = 'agreement password';

async function caller(name: string, email: string) {
  await createOrganization(name, email, password);
  const context = await authorizeToken((await logIn(email, password)).access_token);
  if (!context) throw new Error('token refused');
  return { userId: context.userId, orgId: context.orgId };
}

describe('The document and the handlers agree', () => {
  it('PUT /org/update: a body without a new name is invalid in the document as in the handler; credentials are refused', async () => {
    const who = await caller('Agreement Update', 'update@agreement.example');
    const valid = bodySchema('/org/update', 'put');
    const update = (body: Json) => invoke(updateOrg, { method: 'PUT', path: '/org/update', caller: who, body });

    const nothing = await update({ organization_name: 'Agreement Update' });
    const rename = await update({ organization_name: 'Agreement Update', new_organization_name: 'Agreement Renamed' });

    expect(valid({ organization_name: 'Agreement Update' })).toBe(false);
    expect(nothing).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(pointers(nothing.body)).toEqual(['/new_organization_name']);
    expect(valid({ organization_name: 'Agreement Update', new_organization_name: 'Other Name' })).toBe(true);
    for (const change of [{ email: 'a@b.example' }, { password: 'long enough' }]) {
      const body = { organization_name: 'Agreement Update', new_organization_name: 'Other Name', ...change };
      expect((await update(body)).status, JSON.stringify(change)).toBe(400);
    }
    expect(rename.status).toBe(200);
  });

  it('POST /admin/login: a blank email is invalid in both; spaces around an email are trimmed by the handler and allowed by the document', async () => {
    await createOrganization('Agreement Login', 'login@agreement.example', password);
    const valid = bodySchema('/admin/login', 'post');
    const logInAs = (email: string) => invoke(login, { method: 'POST', path: '/admin/login', body: { email, password } });

    for (const blank of [' ', '\t\n', '\u00a0', '\u3000', '\ufeff']) {
      const answer = await logInAs(blank);
      expect(valid({ email: blank, password }), JSON.stringify(blank)).toBe(false);
      expect(answer.status, JSON.stringify(blank)).toBe(400);
      expect(pointers(answer.body)).toEqual(['/email']);
    }
    const padded = await logInAs('  login@agreement.example\u00a0');

    expect(valid({ email: '  login@agreement.example\u00a0', password })).toBe(true);
    expect(padded.status).toBe(200);
  });

  it('GET /org/records: cursors the API issues have the documented form, and other forms are invalid in both', async () => {
    const who = await caller('Agreement Records', 'records@agreement.example');
    for (const n of [1, 2]) {
      expect((await invoke(createRecord, { method: 'POST', path: '/org/records', caller: who, body: { n } })).status).toBe(201);
    }
    const list = (query: Record<string, string>) =>
      invoke(listRecords, { method: 'GET', path: '/org/records', caller: who, query });
    const validCursor = parameterSchema('/org/records', 'get', 'cursor');
    const page = ajv.compile({
      $ref: 'openapi#/paths/~1org~1records/get/responses/200/content/application~1json/schema',
    });

    const first = await list({ limit: '1' });
    const next = await list({ limit: '1', cursor: first.body.next_cursor });

    expect(page(first.body), JSON.stringify(page.errors)).toBe(true);
    expect(validCursor(first.body.next_cursor)).toBe(true);
    expect(next.body.records.map((r: Json) => r.data)).toEqual([{ n: 1 }]);
    for (const bad of ['', 'not a cursor', 'a/b', 'x'.repeat(201), `${first.body.next_cursor}=`]) {
      const answer = await list({ cursor: bad });
      expect(validCursor(bad), JSON.stringify(bad)).toBe(false);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(pointers(answer.body)).toEqual(['/cursor']);
    }
    // A cursor is opaque: one of the documented form that the API did not issue is still refused,
    // which the document says in words.
    expect(validCursor('AAAA')).toBe(true);
    expect((await list({ cursor: 'AAAA' })).status).toBe(400);
  });
});
