import { describe, expect, it } from 'vitest';
import { newId } from '#core/ids.ts';
import type { Organization } from '#core/orgs/model.ts';
import { interpose } from '../../support/fakes/index.ts';
import { harness, password } from './harness.ts';

/** A document as an organization created under the earlier ASCII-only key still carries it. */
function legacyOrg(name: string, slug: string, at: Date): Organization {
  return {
    id: newId(),
    name,
    slug,
    status: 'active',
    placement: { mode: 'collection', database: 'tenants', collection: `org_legacy_${slug}` },
    adminId: newId(),
    createdAt: at,
    updatedAt: at,
  };
}

describe('Name claims', () => {
  it('keeps a claim an organization uses, however old', async () => {
    const h = harness();
    const { org } = await h.createOrg('Kept Name');
    h.advance(10 * 60_000 * 60);

    const report = await h.service().reconcile();

    expect(report.namesFreed).toBe(0);
    expect(h.stores.names.all()).toMatchObject([{ slug: 'kept_name', orgId: org.id }]);
  });

  it('frees a claim left by a run that died before inserting its organization, once its lease has lapsed', async () => {
    const h = harness();
    const ghost = newId();
    await h.stores.names.claim({ slug: 'ghost_town', orgId: ghost, claimedAt: h.now() });

    await expect(h.service().create({ name: 'Ghost Town', email: 'a@ghost.test', password })).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'organization_name_taken',
    });
    h.lapse();
    const { org } = await h.service().create({ name: 'Ghost Town', email: 'a@ghost.test', password });

    expect(h.stores.names.all()).toEqual([{ slug: 'ghost_town', orgId: org.id, claimedAt: h.now() }]);
  });

  it('counts a freed stale claim in the reconcile report', async () => {
    const h = harness();
    await h.stores.names.claim({ slug: 'stale', orgId: newId(), claimedAt: h.now() });
    h.lapse();

    const report = await h.service().reconcile();

    expect(report).toMatchObject({ namesFreed: 1, failures: [] });
    expect(h.stores.names.all()).toEqual([]);
  });

  it('finds an organization under its legacy key only for a name with its own key', async () => {
    const h = harness();
    // "Иван 1" was created when keys were ASCII-only: it carries `1`
    h.stores.orgs.put(legacyOrg('Иван 1', '1', h.now()));

    await expect(h.service().get('иван 1')).resolves.toMatchObject({ name: 'Иван 1' });
    await expect(h.service().create({ name: 'ИВАН 1', email: 'b@ivan.test', password })).rejects.toMatchObject({
      code: 'organization_name_taken',
    });
    // "Ольга 1" has the legacy key `1` too, but another key today: it is a name of its own
    await expect(h.service().get('Ольга 1')).rejects.toMatchObject({ name: 'NotFoundError' });
    const { org } = await h.service().create({ name: 'Ольга 1', email: 'c@olga.test', password });
    expect(org.slug).toBe('ольга_1');
  });

  it('holds both names while a rename runs, and releases the old one when it ends', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Old Name');
    let during: string[] = [];
    const watched = interpose(h.stores, 'tenants', 'renameCollection', async (move, args) => {
      during = h.stores.names.all().map((c) => c.slug);
      return move(...args);
    });

    await h.service(watched).update(caller, { name: 'Old Name', newName: 'New Name' });

    expect(during.sort()).toEqual(['new_name', 'old_name']);
    expect(h.stores.names.all()).toMatchObject([{ slug: 'new_name', orgId: org.id }]);
    await expect(h.service().create({ name: 'Old Name', email: 'x@old.test', password })).resolves.toBeDefined();
  });
});
