import { describe, expect, it } from 'vitest';
import { PLACEMENT_MODES } from '#core/orgs/model.ts';
import { interpose, withFaults } from '../../support/fakes/index.ts';
import { harness, password } from './harness.ts';

describe('Organization create', () => {
  it.each(PLACEMENT_MODES)('creates an active organization, its admin, its name claim and its place (%s mode)', async (mode) => {
    const h = harness(mode);

    const { org, adminEmail } = await h.service().create({ name: 'Acme Corp', email: 'admin@acme.test', password });

    expect(org).toMatchObject({ name: 'Acme Corp', slug: 'acme_corp', status: 'active' });
    expect(org.operation).toBeUndefined();
    expect(org.placement.mode).toBe(mode);
    expect(adminEmail).toBe('admin@acme.test');
    expect(h.stores.admins.all()).toMatchObject([{ id: org.adminId, orgId: org.id, email: 'admin@acme.test', tokenVersion: 0 }]);
    expect(h.stores.admins.all()[0]?.passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(h.stores.names.all()).toEqual([{ slug: 'acme_corp', orgId: org.id, claimedAt: h.now() }]);
    expect(h.stores.tenants.exists(org.placement)).toBe(true);
    expect(h.stores.locks.all()).toEqual([]);
  });

  it('answers 409 organization_name_taken for a name with the same key, and creates nothing', async () => {
    const h = harness();
    const { org } = await h.createOrg('Acme Corp');

    const taken = h.service().create({ name: ' ACME-corp! ', email: 'other@acme.test', password });

    await expect(taken).rejects.toMatchObject({ name: 'ConflictError', code: 'organization_name_taken' });
    expect(h.stores.orgs.all().map((o) => o.id)).toEqual([org.id]);
    expect(h.stores.admins.all()).toHaveLength(1);
    expect(h.stores.tenants.names()).toEqual([`${org.placement.database}.${org.placement.collection}`]);
  });

  it('undoes the create when the email is taken: no organization, name claim, admin or place remains', async () => {
    const h = harness();
    const { org: first } = await h.createOrg('First Org', 'shared@example.test');

    const second = h.service().create({ name: 'Second Org', email: 'shared@example.test', password });

    await expect(second).rejects.toMatchObject({ name: 'ConflictError', code: 'email_taken' });
    expect(h.stores.orgs.all().map((o) => o.name)).toEqual(['First Org']);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['first_org']);
    expect(h.stores.admins.all().map((a) => a.orgId)).toEqual([first.id]);
    expect(h.stores.tenants.names()).toHaveLength(1);
    // the name is free again at once: the undo released it
    await expect(h.service().create({ name: 'Second Org', email: 'second@example.test', password })).resolves.toBeDefined();
  });

  it('undoes the create when a step fails, and rethrows the failure', async () => {
    const h = harness();
    const failure = new Error('place refused');
    const { stores } = withFaults(h.stores, { call: 'tenants.create', error: failure });

    const created = h.service(stores).create({ name: 'Broken Org', email: 'broken@example.test', password });

    await expect(created).rejects.toBe(failure);
    expect(h.stores.orgs.all()).toEqual([]);
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
    expect(h.stores.tenants.names()).toEqual([]);
  });

  it('answers 409 operation_in_progress when a reconciler undid the run before it went active', async () => {
    const h = harness();
    const raced = interpose(h.stores, 'orgs', 'transition', async (transition, args) => {
      await h.stores.orgs.remove(args[0]); // the reconciler thought this run dead and undid it
      return transition(...args);
    });

    await expect(h.service(raced).create({ name: 'Raced Org', email: 'raced@example.test', password })).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'operation_in_progress',
    });
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
  });

  it('takes an email held by an abandoned half-created organization once its lease has lapsed, not before', async () => {
    const h = harness();
    const { stores } = withFaults(h.stores, { call: 'tenants.create' }, { call: 'admins.listIdsByOrg' }); // died before its undo
    await expect(h.service(stores).create({ name: 'Dead Org', email: 'reused@example.test', password })).rejects.toThrow();
    expect(h.stores.orgs.all()).toMatchObject([{ status: 'creating' }]);

    const early = h.service().create({ name: 'Live Org', email: 'reused@example.test', password });
    await expect(early).rejects.toMatchObject({ code: 'email_taken' });

    h.lapse();
    const { org } = await h.service().create({ name: 'Live Org', email: 'reused@example.test', password });
    expect(h.stores.orgs.all().map((o) => o.id)).toEqual([org.id]);
    expect(h.stores.admins.all().map((a) => a.orgId)).toEqual([org.id]);
  });

  it('keeps the name of an archived organization, and of a purge that died at its last step, until the purge ends', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Phoenix');
    await h.service().delete(caller, 'Phoenix');
    const again = { name: 'Phoenix', email: 'phoenix2@example.test', password };
    await expect(h.service().create(again)).rejects.toMatchObject({ code: 'organization_name_taken' });
    const { stores } = withFaults(h.stores, { call: 'orgs.remove' }); // the purge died at its last step
    await expect(h.service(stores).purge(org.id)).rejects.toThrow();
    expect(await h.current(org.id)).toMatchObject({ status: 'purging' });
    expect(h.stores.names.all()).toEqual([]);
    await expect(h.service().create(again)).rejects.toMatchObject({ code: 'organization_name_taken' });
    await h.service().reconcile(); // queues the failed purge job again
    for (const job of await h.service().jobs.list(10, ['queued'])) await h.service().jobs.work(job.id);

    const { org: reborn } = await h.service().create({ name: 'Phoenix', email: 'phoenix2@example.test', password });

    expect(reborn.id).not.toBe(org.id);
    expect(h.stores.orgs.all().map((o) => o.id)).toEqual([reborn.id]);
  });
});
