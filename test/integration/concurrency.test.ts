import { describe, expect, it } from 'vitest';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as authorize } from '../../functions/authorizer/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import {
  collectionNamed,
  collectionsLabelled,
  masterDb,
  settledState,
  tenantCollections,
  tenantDb,
  useTestDatabase,
} from '../support/db.ts';
import { authorizerEvent, invoke } from '../support/events.ts';

useTestDatabase();

describe('Concurrent creates of one name', () => {
  it('lets exactly one succeed and leaves no orphan collection or admin', async () => {
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'Contested Name' : 'contested-name'));

    const answers = await Promise.all(
      names.map((name, i) =>
        invoke(createOrg, {
          method: 'POST',
          path: '/org/create',
          body: { organization_name: name, email: `racer${i}@race.example`, password: 'race password' },
        }),
      ),
    );

    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const winner = answers.find((a) => a.status === 201)?.body;
    expect(
      await masterDb()
        .collection('admins')
        .find({ email: /@race\.example$/ })
        .toArray(),
    ).toEqual([expect.objectContaining({ email: winner.admin_email })]);
    expect(await collectionsLabelled('contested_name')).toEqual([winner.collection_name]);
    expect((await settledState()).problems).toEqual([]);
  });
});

describe('Rename of an organization holding 1,000 documents', () => {
  it('moves every document, unchanged, and removes the old collection', async () => {
    const created = await invoke(createOrg, {
      method: 'POST',
      path: '/org/create',
      body: { organization_name: 'Big Data Co', email: 'admin@bigdata.example', password: 'big data password' },
    });
    expect(created.status).toBe(201);
    const docs = Array.from({ length: 1_000 }, (_, i) => ({
      seq: i,
      name: `record ${i}`,
      tags: ['a', String(i % 7)],
      nested: { v: i * 1.5 },
    }));
    const from = created.body.collection_name;
    await tenantDb()
      .collection(from)
      .insertMany(docs.map((d) => ({ ...d })));
    const before = await tenantDb().collection(from).find().sort({ seq: 1 }).toArray();
    const signIn = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'admin@bigdata.example', password: 'big data password' },
    });
    const auth = await authorize(authorizerEvent(`Bearer ${signIn.body.access_token}`));

    const answer = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller: auth.context as { userId: string; orgId: string },
      body: { organization_name: 'Big Data Co', new_organization_name: 'Huge Data Co' },
    });

    expect(answer.status).toBe(200);
    expect(answer.body.collection_name).toMatch(collectionNamed('huge_data_co'));
    const after = await tenantDb().collection(answer.body.collection_name).find().sort({ seq: 1 }).toArray();
    expect(after).toHaveLength(1_000);
    expect(after).toEqual(before);
    expect(await tenantCollections()).not.toContain(from);
    expect((await settledState()).problems).toEqual([]);
  });
});
