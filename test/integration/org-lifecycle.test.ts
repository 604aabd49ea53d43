import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as authorize } from '../../functions/authorizer/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import {
  collectionNamed,
  collectionOfSlug,
  collectionsLabelled,
  masterDb,
  purgeNow,
  settledState,
  tenantCollections,
  tenantDb,
  useTestDatabase,
} from '../support/db.ts';
import { authorizerEvent, invoke } from '../support/events.ts';

useTestDatabase();

const password = 'correct horse battery';

async function create(name: string, email: string) {
  return invoke(createOrg, { method: 'POST', path: '/org/create', body: { organization_name: name, email, password } });
}

/** Logs in and runs the authorizer on the token, as API Gateway would before a JWT route. */
async function signIn(email: string, pw = password) {
  const answer = await invoke(login, { method: 'POST', path: '/admin/login', body: { email, password: pw } });
  expect(answer.status).toBe(200);
  const token = answer.body.access_token as string;
  const auth = await authorize(authorizerEvent(`Bearer ${token}`));
  expect(auth.isAuthorized).toBe(true);
  return { token, caller: auth.context as { userId: string; orgId: string } };
}

describe('Function: org-create', () => {
  it('creates the organization, its admin and its collection', async () => {
    const answer = await create('Acme Corp', 'Admin@Acme.example');

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      organization_id: expect.stringMatching(/^[0-9a-f]{24}$/),
      organization_name: 'Acme Corp',
      collection_name: expect.stringMatching(collectionNamed('acme_corp')),
      admin_email: 'admin@acme.example',
      created_at: expect.any(String),
    });
    expect(await tenantCollections()).toContain(answer.body.collection_name);
    const admin = await masterDb().collection('admins').findOne({ email: 'admin@acme.example' });
    expect(admin?.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(admin?.passwordHash).not.toContain(password);
    const org = await masterDb().collection('organizations').findOne({ slug: 'acme_corp' });
    expect(org?.placement).toEqual({
      mode: 'collection',
      database: process.env.TENANT_DB_NAME,
      collection: answer.body.collection_name,
      gen: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(org?.status).toBe('active');
  });

  it('answers 409 for a name whose slug is taken, and leaves nothing behind', async () => {
    await create('Globex', 'a@globex.example');
    const before = await tenantCollections();

    const same = await create('  GLOBEX ', 'b@globex.example');
    const lookalike = await create('globex!', 'c@globex.example');

    for (const answer of [same, lookalike]) {
      expect(answer.status).toBe(409);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.body.code).toBe('organization_name_taken');
    }
    expect(await tenantCollections()).toEqual(before);
    expect(
      await masterDb()
        .collection('admins')
        .countDocuments({ email: { $in: ['b@globex.example', 'c@globex.example'] } }),
    ).toBe(0);
  });

  it('answers 409 for an admin email that belongs to another organization, and rolls back', async () => {
    await create('Initech', 'boss@initech.example');

    const answer = await create('Initrode', 'BOSS@initech.example');

    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('email_taken');
    expect(await masterDb().collection('organizations').findOne({ slug: 'initrode' })).toBeNull();
    expect(
      await masterDb()
        .collection('org_names')
        .findOne({ _id: 'initrode' as never }),
    ).toBeNull();
    expect(await collectionsLabelled('initrode')).toEqual([]);
    expect((await create('Initrode', 'other@initrode.example')).status).toBe(201);
  });
});

describe('Function: org-get', () => {
  it('returns public metadata only', async () => {
    const created = await create('Umbrella', 'admin@umbrella.example');

    const answer = await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'umbrella' } });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      organization_id: created.body.organization_id,
      organization_name: 'Umbrella',
      collection_name: created.body.collection_name,
      created_at: created.body.created_at,
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/admin@|\$2[aby]\$/);
  });

  it('answers 404 for an unknown name and 400 for a missing or extra parameter', async () => {
    const unknown = await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'nobody here' } });
    const missing = await invoke(getOrg, { method: 'GET', path: '/org/get' });
    const operator = await invoke(getOrg, { method: 'GET', path: '/org/get', query: { 'organization_name[$ne]': 'x' } });

    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('organization_not_found');
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toContainEqual({ pointer: '/organization_name', message: expect.any(String) });
    expect(operator.status).toBe(400);
  });
});

describe('Function: admin-login', () => {
  it('issues an EdDSA access token for 30 minutes with the admin and org ids', async () => {
    const created = await create('Hooli', 'gavin@hooli.example');

    const answer = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'GAVIN@hooli.example', password },
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 1800,
      organization_id: created.body.organization_id,
      organization_name: 'Hooli',
    });
    const claims = decodeJwt(answer.body.access_token);
    expect(decodeProtectedHeader(answer.body.access_token)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    expect(claims).toMatchObject({ org: created.body.organization_id, iss: 'orgs-service', aud: 'orgs-api' });
    expect(claims.exp! - claims.iat!).toBe(1800);
    expect(claims.jti).toEqual(expect.any(String));
    const admin = await masterDb().collection('admins').findOne({ email: 'gavin@hooli.example' });
    expect(claims.sub).toBe(admin?._id.toHexString());
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    await create('Pied Piper', 'richard@piedpiper.example');

    const wrong = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'richard@piedpiper.example', password: 'not the one' },
    });
    const unknown = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'nobody@piedpiper.example', password },
    });
    const tooLong = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'richard@piedpiper.example', password: password + 'x'.repeat(80) },
    });

    expect(wrong.status).toBe(401);
    expect(unknown).toEqual(wrong);
    expect(tooLong).toEqual(wrong);
    expect(wrong.body.code).toBe('invalid_credentials');
  });
});

describe('Function: authorizer', () => {
  it('denies missing, garbled and forged tokens', async () => {
    await create('Vandelay', 'art@vandelay.example');
    const { token } = await signIn('art@vandelay.example');
    const [header, payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), org: '0'.repeat(24) })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;

    for (const authorization of [
      undefined,
      '',
      token,
      `Basic ${token}`,
      'Bearer',
      'Bearer not-a-jwt',
      `Bearer ${header}.${forgedPayload}.${signature}`,
      `Bearer ${none}`,
      `Bearer ${header}.${payload}.${signature?.slice(0, -4)}AAAA`,
    ]) {
      expect(await authorize(authorizerEvent(authorization)), String(authorization)).toEqual({ isAuthorized: false });
    }
  });
});

describe('Function: org-update', () => {
  it('renames the organization, moving its collection, and old tokens keep working', async () => {
    await create('Stark Industries', 'tony@stark.example');
    const { caller } = await signIn('tony@stark.example');
    const before = await collectionOfSlug('stark_industries');
    await tenantDb()
      .collection(before)
      .insertMany([{ n: 1 }, { n: 2 }]);

    const answer = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller,
      body: { organization_name: 'Stark Industries', new_organization_name: 'Stark Enterprises' },
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      organization_name: 'Stark Enterprises',
      collection_name: expect.stringMatching(collectionNamed('stark_enterprises')),
    });
    const collections = await tenantCollections();
    expect(collections).toContain(answer.body.collection_name);
    expect(collections).not.toContain(before);
    expect(await tenantDb().collection(answer.body.collection_name).countDocuments()).toBe(2);
    // The token issued before the rename still manages the organization under its new name.
    const again = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller,
      body: { organization_name: 'stark enterprises', new_organization_name: 'Stark Enterprises Intl' },
    });
    expect(again.status).toBe(200);
    expect(
      (await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'Stark Industries' } })).status,
    ).toBe(404);
    expect((await create('Stark Industries', 'new@stark.example')).status).toBe(201);
    expect((await settledState()).problems).toEqual([]);
  });

  it('refuses a change of email or password (they change at /me/email and /me/password, with the current password)', async () => {
    await create('Wayne Enterprises', 'bruce@wayne.example');
    const { caller } = await signIn('bruce@wayne.example');

    const answer = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller,
      body: { organization_name: 'Wayne Enterprises', email: 'Batman@Wayne.example', password: 'a new password' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/email', message: 'is not a field this route takes' },
        { pointer: '/password', message: 'is not a field this route takes' },
      ]),
    );
    await signIn('bruce@wayne.example');
  });

  it('answers 409 for a taken new name and changes nothing', async () => {
    await create('Cyberdyne', 'miles@cyberdyne.example');
    await create('Tyrell', 'eldon@tyrell.example');
    const { caller } = await signIn('miles@cyberdyne.example');
    const update = (body: object) =>
      invoke(updateOrg, { method: 'PUT', path: '/org/update', caller, body: { organization_name: 'Cyberdyne', ...body } });

    const name = await update({ new_organization_name: 'TYRELL' });

    expect(name.status).toBe(409);
    expect(name.body.code).toBe('organization_name_taken');
    expect((await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'Cyberdyne' } })).status).toBe(
      200,
    );
    expect(
      await masterDb()
        .collection('org_names')
        .findOne({ _id: 'cyberdyne_systems' as never }),
    ).toBeNull();
    await signIn('miles@cyberdyne.example');
    expect((await settledState()).problems).toEqual([]);
  });

  it("answers 403 to another organization's admin and leaves that organization untouched", async () => {
    await create('Org A', 'admin@a.example');
    await create('Org B', 'admin@b.example');
    const a = await signIn('admin@a.example');
    const bBefore = await masterDb().collection('organizations').findOne({ slug: 'org_b' });

    const update = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller: a.caller,
      body: { organization_name: 'Org B', new_organization_name: 'Org C' },
    });
    const del = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller: a.caller,
      query: { organization_name: 'Org B' },
    });

    expect(update.status).toBe(403);
    expect(update.body.code).toBe('not_your_organization');
    expect(del.status).toBe(403);
    expect(await masterDb().collection('organizations').findOne({ slug: 'org_b' })).toEqual(bBefore);
    expect(await tenantCollections()).toContain(bBefore?.placement.collection);
    await signIn('admin@b.example');
  });
});

describe('Function: org-delete', () => {
  it('archives the organization; the operator’s purge then removes the data, the admins and the metadata, and frees the name', async () => {
    await create('Soylent', 'admin@soylent.example');
    const { caller } = await signIn('admin@soylent.example');
    const place = await collectionOfSlug('soylent');
    await tenantDb().collection(place).insertOne({ secret: true });

    const answer = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller,
      query: { organization_name: 'Soylent' },
    });

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ archived: true, organization_name: 'Soylent', purge_after: expect.any(String) });
    expect(await tenantCollections()).toContain(place);
    expect((await create('Soylent', 'other@soylent.example')).status).toBe(409);
    expect((await settledState()).problems).toEqual([]);

    await purgeNow(caller.orgId);

    expect(await tenantCollections()).not.toContain(place);
    expect(await masterDb().collection('admins').countDocuments({ email: 'admin@soylent.example' })).toBe(0);
    expect(await masterDb().collection('organizations').countDocuments({ slug: 'soylent' })).toBe(0);
    expect(
      (await invoke(deleteOrg, { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: 'Soylent' } }))
        .status,
    ).toBe(404);
    expect(
      (await invoke(login, { method: 'POST', path: '/admin/login', body: { email: 'admin@soylent.example', password } })).status,
    ).toBe(401);
    expect((await create('Soylent', 'admin@soylent.example')).status).toBe(201);
    expect((await settledState()).problems).toEqual([]);
  });
});
