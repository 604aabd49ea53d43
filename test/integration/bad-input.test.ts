import { describe, expect, it } from 'vitest';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { collectionNamed, masterDb, tenantCollections, useTestDatabase } from '../support/db.ts';
import { type EventOptions, invoke } from '../support/events.ts';

useTestDatabase();

const valid = { organization_name: 'Valid Org', email: 'admin@valid.example', password: 'long enough' };
const caller = { userId: '0123456789abcdef01234567', orgId: '0123456789abcdef01234567' };
const post = (extra: Partial<EventOptions>): EventOptions => ({ method: 'POST', path: '/org/create', ...extra });

/** Every case must answer this status with a problem+json body that leaks nothing internal. */
const cases: [string, unknown, EventOptions, number, string?][] = [
  ['create: body is not JSON', createOrg, post({ rawBody: '{"organization_name": ' }), 400, 'malformed_json'],
  ['create: no body', createOrg, post({}), 400, 'body_required'],
  ['create: body is an array', createOrg, post({ body: [valid] }), 400],
  ['create: body is a string', createOrg, post({ body: 'hello' }), 400],
  ['create: body is null', createOrg, post({ rawBody: 'null' }), 400],
  ['create: wrong types', createOrg, post({ body: { ...valid, organization_name: 42 } }), 400],
  ['create: missing field', createOrg, post({ body: { email: valid.email, password: valid.password } }), 400],
  ['create: unknown field', createOrg, post({ body: { ...valid, role: 'superuser' } }), 400],
  ['create: name too short', createOrg, post({ body: { ...valid, organization_name: ' ab ' } }), 400],
  ['create: name too long', createOrg, post({ body: { ...valid, organization_name: 'x'.repeat(65) } }), 400],
  ['create: name without letters or digits', createOrg, post({ body: { ...valid, organization_name: '---' } }), 400],
  ['create: name with a control character', createOrg, post({ body: { ...valid, organization_name: 'Acme\u0000Corp' } }), 400],
  ['create: invalid email', createOrg, post({ body: { ...valid, email: 'not-an-email' } }), 400],
  ['create: password under 8 characters', createOrg, post({ body: { ...valid, password: 'short' } }), 400],
  ['create: password over 72 bytes', createOrg, post({ body: { ...valid, password: 'é'.repeat(37) } }), 400],
  ['create: query operator as a name', createOrg, post({ body: { ...valid, organization_name: { $gt: '' } } }), 400],
  ['create: query operator as an email', createOrg, post({ body: { ...valid, email: { $ne: null } } }), 400],
  ['create: body over 64 KB', createOrg, post({ body: { ...valid, padding: 'x'.repeat(70_000) } }), 413, 'payload_too_large'],
  [
    'create: form-encoded body',
    createOrg,
    post({ rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    415,
  ],
  [
    'get: operator-looking value matches nothing',
    getOrg,
    { method: 'GET', path: '/org/get', query: { organization_name: '{"$gt":""}' } },
    404,
  ],
  ['get: name too long', getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'y'.repeat(100) } }, 400],
  [
    'login: query operator as a password',
    login,
    { method: 'POST', path: '/admin/login', body: { email: valid.email, password: { $gt: '' } } },
    400,
  ],
  ['login: missing password', login, { method: 'POST', path: '/admin/login', body: { email: valid.email } }, 400],
  [
    'update: no authorizer context',
    updateOrg,
    { method: 'PUT', path: '/org/update', body: { organization_name: 'Valid Org', password: 'whatever1' } },
    401,
    'unauthenticated',
  ],
  [
    'update: nothing to change',
    updateOrg,
    { method: 'PUT', path: '/org/update', caller, body: { organization_name: 'Valid Org' } },
    400,
  ],
  [
    'update: invalid new name',
    updateOrg,
    { method: 'PUT', path: '/org/update', caller, body: { organization_name: 'Valid Org', new_organization_name: 'x' } },
    400,
  ],
  [
    'update: a password (it changes at PUT /me/password)',
    updateOrg,
    {
      method: 'PUT',
      path: '/org/update',
      caller,
      body: { organization_name: 'Valid Org', new_organization_name: 'Valid Two', password: 'long enough 2' },
    },
    400,
  ],
  [
    'update: forged caller',
    updateOrg,
    { method: 'PUT', path: '/org/update', caller, body: { organization_name: 'Valid Org', new_organization_name: 'Valid Two' } },
    403,
  ],
  [
    'delete: no authorizer context',
    deleteOrg,
    { method: 'DELETE', path: '/org/delete', query: { organization_name: 'Valid Org' } },
    401,
  ],
  ['delete: missing name', deleteOrg, { method: 'DELETE', path: '/org/delete', caller }, 400],
  [
    'delete: unknown organization',
    deleteOrg,
    { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: 'Nobody Inc' } },
    404,
  ],
];

describe('Bad input on every route', () => {
  it.each(cases)('%s', async (_title, handler, event, status, code) => {
    // Prepare: one real organization so that "valid" names exist.
    if ((await masterDb().collection('organizations').countDocuments({ slug: 'valid_org' })) === 0) {
      expect((await invoke(createOrg, post({ body: valid }))).status).toBe(201);
    }

    // Act
    const answer = await invoke(handler, event);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.body).toMatchObject({
      status,
      type: expect.stringMatching(/^https:\/\//),
      title: expect.any(String),
      code: expect.any(String),
    });
    if (code) expect(answer.body.code).toBe(code);
    expect(JSON.stringify(answer.body)).not.toMatch(/Mongo|stack|at .*\.ts|E11000|\$2[aby]\$/);
  });

  it('accepts a base64-encoded body as API Gateway sends binary payloads', async () => {
    const answer = await invoke(
      createOrg,
      post({ body: { ...valid, organization_name: 'Base64 Org', email: 'b64@valid.example' }, base64: true }),
    );

    expect(answer.status).toBe(201);
  });

  it('leaves nothing behind after rejected creates', async () => {
    const orgs = await masterDb()
      .collection('organizations')
      .find({}, { projection: { slug: 1 } })
      .toArray();
    expect(orgs.map((o) => o.slug).sort()).toEqual(['base64_org', 'valid_org']);
    const collections = await tenantCollections();
    expect(collections).toHaveLength(2);
    expect(collections.filter((c) => collectionNamed('base64_org').test(c) || collectionNamed('valid_org').test(c))).toEqual(
      collections,
    );
  });
});
