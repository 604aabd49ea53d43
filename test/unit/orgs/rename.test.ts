import { describe, expect, it } from 'vitest';
import { ConflictError } from '#core/errors.ts';
import { withFaults } from '../../support/fakes/index.ts';
import { harness } from './harness.ts';

describe('Organization update and rename', () => {
  it('renames in collection mode: the collection moves to a new name, with its records, under a new fencing epoch', async () => {
    const h = harness('collection');
    const { org, caller } = await h.createOrg('Acme Corp');
    h.stores.tenants.write(org.placement, { id: 'r1', data: { n: 1 } });

    const renamed = await h.service().update(caller, { name: 'Acme Corp', newName: 'Acme Global' });

    expect(renamed).toMatchObject({ name: 'Acme Global', slug: 'acme_global', status: 'active', placementVersion: 1 });
    expect(renamed.operation).toBeUndefined();
    expect(renamed.placement.collection).toMatch(/^org_acme_global_[0-9a-f]{10}$/);
    expect(renamed.placement.gen).toBe(org.placement.gen);
    expect(h.stores.tenants.exists(org.placement)).toBe(false);
    expect(h.stores.tenants.records(renamed.placement)).toEqual([{ id: 'r1', gen: org.placement.gen, data: { n: 1 } }]);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['acme_global']);
    expect(h.stores.locks.all()).toEqual([]);
  });

  it('renames in database mode without moving anything or changing the fencing epoch', async () => {
    const h = harness('database');
    const { org, caller } = await h.createOrg('Data Corp');

    const renamed = await h.service().update(caller, { name: 'Data Corp', newName: 'Data Global' });

    expect(renamed).toMatchObject({ slug: 'data_global', placement: org.placement });
    expect(renamed.placementVersion).toBeUndefined();
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['data_global']);
  });

  it('changes only the spelling for a new name with the same key: no claim, no move', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Acme Corp');
    h.advance(1_000);

    const renamed = await h.service().update(caller, { name: 'acme corp', newName: 'ACME-Corp' });

    expect(renamed).toMatchObject({ name: 'ACME-Corp', slug: 'acme_corp', placement: org.placement, updatedAt: h.now() });
    expect(renamed.placementVersion).toBeUndefined();
    expect(h.stores.names.all()).toMatchObject([{ slug: 'acme_corp', orgId: org.id }]);
  });

  it('answers 409 organization_name_taken for a taken new name and changes nothing', async () => {
    const h = harness();
    await h.createOrg('Taken Name');
    const { org, caller } = await h.createOrg('Mine');

    const update = h.service().update(caller, { name: 'Mine', newName: 'taken name' });

    await expect(update).rejects.toMatchObject({ name: 'ConflictError', code: 'organization_name_taken' });
    expect(await h.current(org.id)).toEqual(org);
    expect(
      h.stores.names
        .all()
        .map((c) => c.slug)
        .sort(),
    ).toEqual(['mine', 'taken_name']);
  });

  it('answers 409 operation_in_progress with a retry-after while a live run holds the lock, and proceeds once it lapses', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Busy Org');
    await h.holdLock(org.id, 'move');

    const refused = await h
      .service()
      .update(caller, { name: 'Busy Org', newName: 'Free Org' })
      .catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused).toMatchObject({ name: 'ConflictError', code: 'operation_in_progress', retryAfterSeconds: 1 });
    expect(await h.current(org.id)).toEqual(org);

    h.lapse(); // the lock's holder stopped renewing
    await expect(h.service().update(caller, { name: 'Busy Org', newName: 'Free Org' })).resolves.toMatchObject({
      slug: 'free_org',
    });
  });

  it('answers 403 for another organization and 404 for an unknown name', async () => {
    const h = harness();
    await h.createOrg('Theirs');
    const { caller } = await h.createOrg('Mine');

    await expect(h.service().update(caller, { name: 'Theirs', newName: 'Stolen' })).rejects.toMatchObject({
      name: 'ForbiddenError',
      code: 'not_your_organization',
    });
    await expect(h.service().update(caller, { name: 'Nobody', newName: 'Else' })).rejects.toMatchObject({
      name: 'NotFoundError',
      code: 'organization_not_found',
    });
  });

  it('goes forward after a failed step once the rename is recorded: one more try finishes it', async () => {
    const h = harness();
    const { caller } = await h.createOrg('Flaky');
    const { stores } = withFaults(h.stores, { call: 'tenants.renameCollection', at: 1 });

    const renamed = await h.service(stores).update(caller, { name: 'Flaky', newName: 'Steady' });

    expect(renamed).toMatchObject({ slug: 'steady', status: 'active', placementVersion: 1 });
  });

  it('leaves a recorded rename whose steps keep failing for the next request, which finishes it after the lease', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Stuck');
    h.stores.tenants.write(org.placement, { id: 'kept', data: {} });
    const { stores } = withFaults(h.stores, { call: 'tenants.renameCollection' });

    await expect(h.service(stores).update(caller, { name: 'Stuck', newName: 'Unstuck' })).rejects.toThrow(/injected/);
    const stuck = await h.current(org.id);
    expect(stuck).toMatchObject({ status: 'renaming', operation: { kind: 'rename', toSlug: 'unstuck' } });
    // the old name still finds it (its owner may still be alive) and a change waits for the lease
    await expect(h.service().update(caller, { name: 'Stuck', newName: 'UNSTUCK' })).rejects.toMatchObject({
      code: 'operation_in_progress',
    });

    h.lapse();
    const done = await h.service().update(caller, { name: 'Stuck', newName: 'UNSTUCK' });

    // the request recovered (finished) the rename first, then made its own change (the spelling)
    expect(done).toMatchObject({ name: 'UNSTUCK', slug: 'unstuck', status: 'active' });
    const after = await h.current(org.id);
    expect(after).toMatchObject({ slug: 'unstuck', status: 'active', placementVersion: 1 });
    expect(h.stores.tenants.records(after?.placement ?? org.placement).map((r) => r.id)).toEqual(['kept']);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['unstuck']);
  });
});
