import { describe, expect, it } from 'vitest';
import { PLACEMENT_MODES } from '#core/orgs/model.ts';
import { withFaults } from '../../support/fakes/index.ts';
import { harness } from './harness.ts';

describe('Organization delete', () => {
  it.each(PLACEMENT_MODES)('removes the data, sessions, admins, name claim, lock and document (%s mode)', async (mode) => {
    const h = harness(mode);
    const { org, caller } = await h.createOrg('Doomed');
    const { org: bystander } = await h.createOrg('Bystander');
    h.stores.sessions.open(org.id, 's1');
    h.stores.sessions.open(bystander.id, 's2');

    const deleted = await h.service().delete(caller, 'doomed');

    expect(deleted).toMatchObject({ id: org.id, status: 'deleting' });
    expect(await h.current(org.id)).toBeNull();
    expect(h.stores.tenants.exists(org.placement)).toBe(false);
    expect(h.stores.sessions.of(org.id)).toEqual([]);
    expect(h.stores.sessions.of(bystander.id)).toEqual(['s2']);
    expect(h.stores.admins.all().map((a) => a.orgId)).toEqual([bystander.id]);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['bystander']);
    expect(h.stores.locks.all()).toEqual([]);
    expect(h.stores.tenants.exists(bystander.placement)).toBe(true);
  });

  it('finishes a half-done delete when retried', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Half Done');
    const { stores } = withFaults(h.stores, { call: 'memberships.removeByOrg' });

    await expect(h.service(stores).delete(caller, 'Half Done')).rejects.toThrow(/injected/);
    expect(await h.current(org.id)).toMatchObject({ status: 'deleting' });
    await expect(h.service().get('Half Done')).rejects.toMatchObject({ name: 'NotFoundError' }); // no longer live

    await h.service().delete(caller, 'Half Done');

    expect(await h.current(org.id)).toBeNull();
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
  });

  it('answers 409 while a rename or move runs, and changes nothing', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Busy');
    const moving = {
      ...org,
      status: 'moving' as const,
      operation: { kind: 'move' as const, owner: 'live', startedAt: h.now(), from: org.placement, to: org.placement },
    };
    h.stores.orgs.put(moving);

    await expect(h.service().delete(caller, 'Busy')).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'operation_in_progress',
    });
    expect(await h.current(org.id)).toEqual(moving);
  });

  it('answers 409 while another kind of change holds a live lock, but shares the lock of another delete', async () => {
    const h = harness();
    const { org: a, caller: callerA } = await h.createOrg('Locked A');
    const { org: b, caller: callerB } = await h.createOrg('Locked B');
    await h.holdLock(a.id, 'update');
    await h.holdLock(b.id, 'delete');

    await expect(h.service().delete(callerA, 'Locked A')).rejects.toMatchObject({ code: 'operation_in_progress' });
    expect(await h.current(a.id)).toMatchObject({ status: 'active' });
    await h.service().delete(callerB, 'Locked B');
    expect(await h.current(b.id)).toBeNull();
  });

  it('answers 403 for another organization', async () => {
    const h = harness();
    const { org } = await h.createOrg('Theirs');
    const { caller } = await h.createOrg('Mine');

    await expect(h.service().delete(caller, 'Theirs')).rejects.toMatchObject({ name: 'ForbiddenError' });
    expect(await h.current(org.id)).toEqual(org);
  });

  it('finishing a delete of an organization caught mid-rename drops both places', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Split Brain');
    const { stores } = withFaults(h.stores, { call: 'tenants.renameCollection' }); // the rename never gets past its collection rename
    await expect(h.service(stores).update(caller, { name: 'Split Brain', newName: 'Whole Brain' })).rejects.toThrow();
    const renaming = await h.current(org.id);
    if (renaming?.operation?.kind !== 'rename') throw new Error('no rename recorded');
    h.stores.tenants.write(renaming.operation.to, { id: 'late', data: {} }); // a late write under the new name
    await h.stores.orgs.transition(org.id, ['renaming'], { status: 'deleting' }); // a delete marked it, then died

    await h.service().delete(caller, 'Split Brain');

    expect(h.stores.tenants.names()).toEqual([]);
    expect(await h.current(org.id)).toBeNull();
  });
});
