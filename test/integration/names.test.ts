import { describe, expect, it } from 'vitest';
import { toSlug } from '#core/orgs/model.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as authorize } from '../../functions/authorizer/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { collectionNamed, masterDb, purgeNow, settledState, tenantCollections, useTestDatabase } from '../support/db.ts';
import { authorizerEvent, invoke } from '../support/events.ts';

useTestDatabase();

const password = 'correct horse battery';
type Caller = { userId: string; orgId: string };

const create = (name: string, email: string) =>
  invoke(createOrg, { method: 'POST', path: '/org/create', body: { organization_name: name, email, password } });
const get = (name: string) => invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: name } });
const rename = (caller: Caller, from: string, to: string) =>
  invoke(updateOrg, { method: 'PUT', path: '/org/update', caller, body: { organization_name: from, new_organization_name: to } });
const remove = (caller: Caller, name: string) =>
  invoke(deleteOrg, { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: name } });

/** Logs in and runs the authorizer on the token, as API Gateway would before a JWT route. */
async function signIn(email: string): Promise<Caller> {
  const answer = await invoke(login, { method: 'POST', path: '/admin/login', body: { email, password } });
  expect(answer.status).toBe(200);
  const auth = await authorize(authorizerEvent(`Bearer ${answer.body.access_token as string}`));
  expect(auth.isAuthorized).toBe(true);
  return auth.context as Caller;
}

/** A 400 problem that names the field and says why. */
function expectRefused(answer: Awaited<ReturnType<typeof invoke>>, pointer: string, message: RegExp) {
  expect(answer.status).toBe(400);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body.code).toBe('validation_failed');
  expect(answer.body.errors).toEqual([{ pointer, message: expect.stringMatching(message) }]);
}

const claims = async () =>
  (await masterDb().collection('org_names').find().toArray()).map((claim) => claim._id as unknown as string).sort();

let mailbox = 0;
const newEmail = () => `admin${++mailbox}@names.example`;

describe('Organization names in any script', () => {
  const names = [
    'Иван Петров',
    'Иван 1',
    'Ольга 1',
    'Bjørn AS',
    'Bjœrn AS',
    'Bjorn AS',
    'Łódź SA',
    'Lodz SA',
    '東京大学',
    '京都大学',
    'مرحبا بكم',
    'שלום בע"מ',
    'Ελληνικά ΑΕ',
    'हिन्दी संस्था',
    'Straße AG',
  ];
  const ids = new Map<string, string>();

  it('creates an organization for each name, with a valid, readable collection name', async () => {
    for (const name of names) {
      const answer = await create(name, newEmail());

      expect(answer.status, name).toBe(201);
      expect(answer.body.organization_name).toBe(name);
      expect(answer.body.collection_name, name).toMatch(/^org_(?:[a-z0-9]+(?:_[a-z0-9]+)*_)?[0-9a-f]{10}$/);
      ids.set(name, answer.body.organization_id as string);
    }

    expect(new Set(ids.values()).size).toBe(names.length);
    const ivan = await get('Иван Петров');
    expect(ivan.body.collection_name).toMatch(collectionNamed('ivan_petrov'));
    expect((await get('Bjørn AS')).body.collection_name).toMatch(collectionNamed('bjorn_as'));
    expect((await get('東京大学')).body.collection_name).toMatch(/^org_[a-z]+_[0-9a-f]{10}$/);
  });

  it('answers a lookup by a name with that name’s organization, never another’s', async () => {
    for (const name of names) {
      const answer = await get(name);

      expect(answer.status, name).toBe(200);
      expect(answer.body.organization_id, name).toBe(ids.get(name));
      expect(answer.body.organization_name).toBe(name);
    }
    for (const [spelling, name] of [
      ['иван петров', 'Иван Петров'],
      ['ИВАН-ПЕТРОВ!', 'Иван Петров'],
      ['BJØRN as', 'Bjørn AS'],
      ['ΕΛΛΗΝΙΚΑ αε', 'Ελληνικά ΑΕ'],
      ['STRASSE AG', 'Straße AG'],
      ['Ｓｔｒａｓｓｅ ＡＧ', 'Straße AG'],
    ] as const) {
      expect((await get(spelling)).body.organization_id, spelling).toBe(ids.get(name));
    }
    for (const unknown of ['Ольга 2', 'Иван', 'Bjoern AS', '東京都', 'Αθήνα ΑΕ'])
      expect((await get(unknown)).status, unknown).toBe(404);
  });

  it('answers 409 to a name that is one of them under the normalization, and reserves nothing', async () => {
    const before = { claims: await claims(), collections: await tenantCollections() };

    for (const name of ['ИВАН ПЕТРОВ!', 'иван 1', 'Bjørn-AS', 'STRASSE AG', 'Ελληνικα αε', ' 東京大学 ']) {
      const email = newEmail();
      const answer = await create(name, email);

      expect(answer.status, name).toBe(409);
      expect(answer.body.code).toBe('organization_name_taken');
      expect(await masterDb().collection('admins').findOne({ email })).toBeNull();
    }
    expect(await claims()).toEqual(before.claims);
    expect(await tenantCollections()).toEqual(before.collections);
  });

  it('renames across scripts and deletes by name; the old name then finds nothing', async () => {
    const email = newEmail();
    await create('Анна 5', email);
    const caller = await signIn(email);
    const olga = await get('Ольга 1');

    const renamed = await rename(caller, 'анна 5', 'Ольга 5');

    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      organization_name: 'Ольга 5',
      collection_name: expect.stringMatching(collectionNamed('olga_5')),
    });
    expect((await get('Анна 5')).status).toBe(404);
    expect((await get('Ольга 5')).body.organization_id).toBe(caller.orgId);
    expect((await get('Ольга 1')).body).toEqual(olga.body);

    const deleted = await remove(caller, 'ОЛЬГА 5');

    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ archived: true, organization_name: 'Ольга 5' });
    expect((await get('Ольга 5')).status).toBe(404);
    expect((await get('Ольга 1')).body).toEqual(olga.body);
    expect(await claims()).toContain(toSlug('Ольга 5')); // reserved while archived
    await purgeNow(caller.orgId);
    expect(await claims()).not.toContain(toSlug('Ольга 5'));
    expect((await settledState()).problems).toEqual([]);
  });
});

describe('Organizations keyed under the earlier ASCII-only rule', () => {
  it('are found by their own name only, keep their name reserved, and take the new key when renamed', async () => {
    // Prepare: an organization as the earlier rule stored it, under the key `7` ("Пётр" had no ASCII letter).
    const email = newEmail();
    const created = await create('Пётр 7', email);
    const id = created.body.organization_id as string;
    await masterDb()
      .collection('organizations')
      .updateOne({ slug: 'пётр_7' }, { $set: { slug: '7' } });
    const claim = await masterDb()
      .collection('org_names')
      .findOneAndDelete({ _id: 'пётр_7' as never });
    await masterDb()
      .collection('org_names')
      .insertOne({ ...claim, _id: '7' as never });

    // Act and assess: found by its name, never by another name with the same old key.
    expect((await get('Пётр 7')).body.organization_id).toBe(id);
    expect((await get('пётр-7')).body.organization_id).toBe(id);
    expect((await get('Павел 7')).status).toBe(404);
    const pavel = await create('Павел 7', newEmail());
    expect(pavel.status).toBe(201);
    expect((await get('Павел 7')).body.organization_id).toBe(pavel.body.organization_id);
    expect((await get('Пётр 7')).body.organization_id).toBe(id);

    // Its name stays taken: a second "Пётр 7" is refused and reserves nothing.
    const twin = await create('ПЁТР 7', newEmail());
    expect(twin.status).toBe(409);
    expect(twin.body.code).toBe('organization_name_taken');
    expect(await claims()).not.toContain('пётр_7');

    // Renamed, even to its own name, it takes today's key and frees the old one.
    const caller = await signIn(email);
    const renamed = await rename(caller, 'Пётр 7', 'Пётр 7');
    expect(renamed.status).toBe(200);
    expect(await masterDb().collection('organizations').findOne({ slug: 'пётр_7' })).toMatchObject({ name: 'Пётр 7' });
    expect(await claims()).toContain('пётр_7');
    expect(await claims()).not.toContain('7');
    expect((await get('Пётр 7')).body.organization_id).toBe(id);
    expect((await settledState()).problems).toEqual([]);
  });
});

describe('Names that expand under normalization', () => {
  const tooLong = ['ⅷ'.repeat(64), 'ⅷ'.repeat(33), 'ﷺ'.repeat(8), '㍿'.repeat(40)];

  it.each(tooLong)('refuses %j on every route with a 400 on the name', async (name) => {
    const owner = newEmail();
    const ownName = `Owner ${mailbox}`;
    await create(ownName, owner);
    const caller = await signIn(owner);
    const before = await claims();
    const email = newEmail();
    const message = /^is too long once normalized/;

    expectRefused(await create(name, email), '/organization_name', message);
    expectRefused(await get(name), '/organization_name', message);
    expectRefused(await rename(caller, ownName, name), '/new_organization_name', message);
    expectRefused(await remove(caller, name), '/organization_name', message);

    // Nothing was reserved: the email is free, and so is every name but the owner's.
    expect(await masterDb().collection('admins').findOne({ email })).toBeNull();
    expect(await claims()).toEqual(before);
    expect((await get(ownName)).body.organization_id).toBe(caller.orgId);
    expect((await create(`Second ${mailbox}`, email)).status).toBe(201);
  });

  it('accepts the longest name the key allows, with a bounded collection name', async () => {
    const answer = await create('ⅷ'.repeat(32), newEmail());

    expect(answer.status).toBe(201);
    expect(answer.body.collection_name).toMatch(collectionNamed('viii'.repeat(10)));
    expect(await claims()).toContain('viii'.repeat(32));
  });

  it('counts the 64-character limit in code points', async () => {
    const email = newEmail();

    expectRefused(await create('𝔹'.repeat(65), email), '/organization_name', /^must be at most 64 characters$/);
    const answer = await create('𝔹'.repeat(64), email);

    expect(answer.status).toBe(201);
    expect(answer.body.organization_name).toBe('𝔹'.repeat(64));
    expect(answer.body.collection_name).toMatch(collectionNamed('b'.repeat(40)));
  });
});

describe('Control and invisible characters in names', () => {
  const refused: [string, string][] = [
    ['a C1 control', '\u0085'],
    ['another C1 control', '\u009B'],
    ['a C0 control', '\u0007'],
    ['a right-to-left override', '\u202E'],
    ['a left-to-right isolate', '\u2066'],
    ['a right-to-left mark', '\u200F'],
    ['a zero-width space', '\u200B'],
    ['a word joiner', '\u2060'],
    ['a zero-width joiner between Latin letters', '\u200D'],
    ['a variation selector', '\uFE0F'],
    ['a tag character', '\u{E0041}'],
    ['a soft hyphen', '\u00AD'],
    ['a private-use character', '\uE000'],
    ['a noncharacter', '\uFDD0'],
    ['an unassigned code point', '\u0378'],
    ['a lone surrogate', '\uD800'],
  ];

  it.each(refused)('refuses %s in a name on create, get, rename and delete', async (_kind, char) => {
    const owner = newEmail();
    const ownName = `Acme ${mailbox}`;
    await create(ownName, owner);
    const caller = await signIn(owner);
    const before = { claims: await claims(), collections: await tenantCollections() };

    // A lone surrogate is not text at all: a JSON body holding one is refused before any name rule runs.
    const why = /^must not contain |lone surrogate/;
    for (const name of [`Acme${char}${mailbox}`, `${char}Acme ${mailbox}`, `Acme ${mailbox}${char}`]) {
      const email = newEmail();
      expectRefused(await create(name, email), '/organization_name', why);
      expectRefused(await get(name), '/organization_name', why);
      expectRefused(await rename(caller, ownName, name), '/new_organization_name', why);
      expectRefused(await remove(caller, name), '/organization_name', why);
      expect(await masterDb().collection('admins').findOne({ email })).toBeNull();
    }

    expect(await claims()).toEqual(before.claims);
    expect(await tenantCollections()).toEqual(before.collections);
    expect((await get(ownName)).body.organization_id).toBe(caller.orgId);
  });

  it('never lets a name pose as another: a look-alike lookup is refused, not answered', async () => {
    const email = newEmail();
    await create('Globex Corp', email);

    for (const lookalike of [
      'Glo\u200Bbex Corp',
      'Globex\u202E Corp',
      'Globex Cor\u00ADp',
      'Globex Corp\u2066',
      'Glo\u200Dbex Corp',
    ]) {
      expectRefused(await get(lookalike), '/organization_name', /^must not contain /);
    }
    // Marks on Latin letters are ignored when names are compared: "G̵lobex Corp" is Globex Corp.
    const globex = await get('GLOBEX CORP');
    expect(globex.status).toBe(200);
    expect((await get('G\u0335lobex Corp')).body).toEqual(globex.body);
  });

  it('refuses names of spaces and punctuation only, and base-less combining marks', async () => {
    for (const [name, message] of [
      ['---', /^must contain a letter or a digit$/],
      ['! ? !', /^must contain a letter or a digit$/],
      ['\u00A0\u3000\u00A0', /^must be at least 3 characters$/],
      ['\u0301\u0302\u0303', /^must not contain a combining mark without/],
      ['Acme \u0301Corp', /^must not contain a combining mark without/],
    ] as const) {
      expectRefused(await create(name, newEmail()), '/organization_name', message);
    }
  });
});

describe('Emails', () => {
  it.each(['a*b@example.com', 'x=y@example.com', 'tilde~@example.com', 'bang!@example.com', "O'Brien+ops@Example.com"])(
    'accepts %j, as the document’s format: email does, and logs in with it',
    async (address) => {
      const answer = await create(`Mail ${address}`, address);

      expect(answer.status).toBe(201);
      expect(answer.body.admin_email).toBe(address.toLowerCase());
      await signIn(address);
    },
  );

  it.each(['иван@example.com', 'ivan@пример.рф', 'a..b@example.com', 'a@localhost', '"a b"@example.com'])(
    'refuses %j with a 400 on the email and reserves nothing',
    async (address) => {
      const name = `Refused ${mailbox++}`;

      expectRefused(await create(name, address), '/email', /^must be a valid email address/);
      expect(await claims()).not.toContain(toSlug(name));
      expect((await create(name, newEmail())).status).toBe(201);
    },
  );
});
