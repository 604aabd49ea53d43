import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_PATH } from '../../bin/openapi.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { closeClientsAfterAll } from '../support/db.ts';
import { invoke } from '../support/events.ts';

/**
 * Requests the API document and the real handlers judge alike: where the document says a request is
 * invalid, the handler answers 400 pointing at the same place, and where it says valid, the handler
 * does not refuse it for that reason. Each case is one where a schema-driven fuzzer (`npm run fuzz`)
 * found the two apart.
 */

closeClientsAfterAll();

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
const pointers = (body: Json | undefined): string[] => (body?.errors ?? []).map((e: { pointer: string }) => e.pointer);

const password = 'agreement password';

async function caller(name: string, email: string) {
  await createOrganization(name, email, password);
  const context = await authorizeToken((await logIn(email, password)).access_token);
  if (!context) throw new Error('token refused');
  return { adminId: context.adminId, orgId: context.orgId };
}

describe('The document and the handlers agree', () => {
  it('PUT /org/update: a body that changes nothing is invalid in the document as in the handler', async () => {
    const who = await caller('Agreement Update', 'update@agreement.example');
    const valid = bodySchema('/org/update', 'put');
    const update = (body: Json) => invoke(updateOrg, { method: 'PUT', path: '/org/update', caller: who, body });

    const nothing = await update({ organization_name: 'Agreement Update' });
    const rename = await update({ organization_name: 'Agreement Update', new_organization_name: 'Agreement Renamed' });

    expect(valid({ organization_name: 'Agreement Update' })).toBe(false);
    expect(nothing).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(pointers(nothing.body)).toEqual(['']);
    for (const change of [{ new_organization_name: 'Other Name' }, { email: 'a@b.example' }, { password: 'long enough' }]) {
      expect(valid({ organization_name: 'Agreement Update', ...change }), JSON.stringify(change)).toBe(true);
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
});
