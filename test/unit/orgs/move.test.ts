import { describe, expect, it } from 'vitest';
import type { Organization, PlacementMode } from '#core/orgs/model.ts';
import { PLACEMENT_MODES } from '#core/orgs/model.ts';
import { interpose, withFaults } from '../../support/fakes/index.ts';
import { gate } from '../../support/gate.ts';
import { harness } from './harness.ts';

const other = (mode: PlacementMode): PlacementMode => (mode === 'collection' ? 'database' : 'collection');

describe.each(PLACEMENT_MODES)('Organization move (from %s mode)', (mode) => {
  it('copies the records, re-tagged with the new generation, switches the placement with a new fencing epoch and drops the old place', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Mover');
    h.stores.tenants.write(org.placement, { id: 'r1', data: { a: 1 } });
    h.stores.tenants.write(org.placement, { id: 'stray', gen: 'an-old-generation', data: {} }); // a late write's leftover

    const moved = await h.service().move({ id: org.id }, other(mode));

    expect(moved).toMatchObject({ status: 'active', placementVersion: 1 });
    expect(moved.operation).toBeUndefined();
    expect(moved.placement.mode).toBe(other(mode));
    expect(moved.placement.gen).not.toBe(org.placement.gen);
    expect(h.stores.tenants.records(moved.placement)).toEqual([{ id: 'r1', gen: moved.placement.gen, data: { a: 1 } }]);
    expect(h.stores.tenants.exists(org.placement)).toBe(false);
    expect(h.stores.locks.all()).toEqual([]);
  });

  it('changes nothing when the organization is in that mode already', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Stayer');

    await expect(h.service().move({ name: 'stayer' }, mode)).resolves.toEqual(org);
    expect(await h.current(org.id)).toEqual(org);
  });

  it('undoes the move when the copy fails: same place, a new fencing epoch, the target dropped', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Failer');
    const failure = new Error('copy does not match');
    const { stores } = withFaults(h.stores, { call: 'tenants.copy', error: failure });

    await expect(h.service(stores).move({ id: org.id }, other(mode))).rejects.toBe(failure);

    const after = (await h.current(org.id)) as Organization;
    expect(after).toMatchObject({ status: 'active', placement: org.placement, placementVersion: 1 });
    expect(after.operation).toBeUndefined();
    expect(h.stores.tenants.names()).toEqual([`${org.placement.database}.${org.placement.collection}`]);
  });

  it('answers 409 operation_in_progress while another run holds the lock', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Locked');
    await h.holdLock(org.id);

    await expect(h.service().move({ id: org.id }, other(mode))).rejects.toMatchObject({
      name: 'ConflictError',
      code: 'operation_in_progress',
      retryAfterSeconds: 1,
    });
    expect(await h.current(org.id)).toEqual(org);
  });

  it('answers 404 for an unknown organization', async () => {
    const h = harness(mode);
    await expect(h.service().move({ name: 'nobody' }, other(mode))).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('fences a stale owner: once its operation is taken over it can neither commit nor undo', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Fenced');
    h.stores.tenants.write(org.placement, { id: 'r1', data: {} });
    const copying = gate();
    const slow = interpose(h.stores, 'tenants', 'copy', async (copy, args) => {
      await copying.pass();
      return copy(...args);
    });
    const stale = h.service(slow).move({ id: org.id }, other(mode));
    await copying.reached;
    const marked = (await h.current(org.id)) as Organization;
    const staleToken = marked.operation?.kind === 'move' ? marked.operation.owner : undefined;
    expect(staleToken).toEqual(expect.any(String));

    // another run takes the operation over: a transition that presents the current fencing token
    const takeOver = { ...marked.operation, owner: 'new-owner' } as Organization['operation'];
    expect(await h.stores.orgs.transition(org.id, ['moving'], { operation: takeOver }, 'wrong-token')).toBeNull();
    expect(await h.stores.orgs.transition(org.id, ['moving'], { operation: takeOver }, staleToken)).not.toBeNull();
    copying.release();

    await expect(stale).rejects.toMatchObject({ name: 'ConflictError', code: 'operation_in_progress' });
    const after = (await h.current(org.id)) as Organization;
    expect(after).toMatchObject({ status: 'moving', placement: org.placement, operation: { owner: 'new-owner' } });
    expect(after.placementVersion).toBeUndefined();
    expect(h.stores.tenants.records(org.placement).map((r) => r.id)).toEqual(['r1']);
  });

  it('recovers an abandoned move after its lease: the operator finishes it into a place of its own', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Orphan');
    h.stores.tenants.write(org.placement, { id: 'r1', data: {} });
    const { stores } = withFaults(h.stores, { call: 'orgs.transition', at: 2 }, { call: 'orgs.findById', at: 3 }); // died mid-way
    await expect(h.service(stores).move({ id: org.id }, other(mode))).rejects.toThrow();
    const dead = (await h.current(org.id)) as Organization;
    expect(dead.status).toBe('moving');
    const deadTarget = dead.operation?.kind === 'move' ? dead.operation.to : org.placement;

    await expect(h.service().move({ id: org.id }, other(mode))).rejects.toMatchObject({ code: 'operation_in_progress' });
    h.lapse();
    const moved = await h.service().move({ id: org.id }, other(mode));

    expect(moved).toMatchObject({ status: 'active', placementVersion: 1 });
    expect(moved.placement.mode).toBe(other(mode));
    expect(moved.placement.collection === deadTarget.collection && moved.placement.database === deadTarget.database).toBe(false);
    expect(h.stores.tenants.exists(deadTarget)).toBe(false);
    expect(h.stores.tenants.records(moved.placement).map((r) => r.id)).toEqual(['r1']);
  });
});
