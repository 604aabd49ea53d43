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

  it('undoes the move when its job fails for good: same place, a new fencing epoch, the target dropped', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Failer');
    const { stores } = withFaults(h.stores, { call: 'tenants.copyBatch', error: new Error('copy does not match') });

    await expect(h.service(stores).move({ id: org.id }, other(mode))).rejects.toMatchObject({ code: 'move_failed' });

    const after = (await h.current(org.id)) as Organization;
    expect(after).toMatchObject({ status: 'active', placement: org.placement, placementVersion: 1 });
    expect(after.operation).toBeUndefined();
    expect(h.stores.tenants.names()).toEqual([`${org.placement.database}.${org.placement.collection}`]);
    const [job] = h.stores.jobs.all();
    expect(job).toMatchObject({ kind: 'move', state: 'failed', lastError: { code: 'internal_error' } });
    expect(JSON.stringify(job?.lastError)).not.toContain('copy does not match'); // the log has it, the job does not
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

  it("fences its job: once the operation is somebody else's, the job can neither commit nor undo it", async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Fenced');
    h.stores.tenants.write(org.placement, { id: 'r1', data: {} });
    const copying = gate();
    const slow = interpose(h.stores, 'tenants', 'copyBatch', async (copyBatch, args) => {
      await copying.pass();
      return copyBatch(...args);
    });
    const stale = h.service(slow).move({ id: org.id }, other(mode));
    await copying.reached;
    const marked = (await h.current(org.id)) as Organization;
    const token = marked.operation?.kind === 'move' ? marked.operation.owner : undefined;
    expect(token).toBe(marked.operation?.kind === 'move' ? marked.operation.jobId : 'no job');

    const takeOver = { ...marked.operation, owner: 'new-owner' } as Organization['operation'];
    expect(await h.stores.orgs.transition(org.id, ['moving'], { operation: takeOver }, 'wrong-token')).toBeNull();
    expect(await h.stores.orgs.transition(org.id, ['moving'], { operation: takeOver }, token)).not.toBeNull();
    copying.release();

    await expect(stale).rejects.toMatchObject({ code: 'move_failed' });
    const after = (await h.current(org.id)) as Organization;
    expect(after).toMatchObject({ status: 'moving', placement: org.placement, operation: { owner: 'new-owner' } });
    expect(after.placementVersion).toBeUndefined();
    expect(h.stores.tenants.records(org.placement).map((r) => r.id)).toEqual(['r1']);
    const target = marked.operation?.kind === 'move' ? marked.operation.to : org.placement;
    expect(h.stores.tenants.exists(target)).toBe(true); // the new owner's target is left alone
  });

  it('resumes after the last checkpoint when its worker dies: the copy goes on, it does not restart', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Resumer');
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5']) h.stores.tenants.write(org.placement, { id, data: { id } });
    const afters: (string | undefined)[] = [];
    const watched = interpose(h.stores, 'tenants', 'copyBatch', async (copyBatch, args) => {
      afters.push(args[2]);
      return copyBatch(...args);
    });
    const service = h.service(watched);
    const { job } = await service.startMove({ id: org.id }, other(mode));
    const id = job?.id ?? '';

    expect(await service.jobs.work(id, 0)).toBe('continued'); // one step (r1, r2), checkpointed
    expect(await h.stores.jobs.claim(id, 'a-worker-that-dies', h.now(), new Date(0))).not.toBeNull();
    expect(await service.jobs.work(id)).toBe('busy'); // its lease is alive
    h.lapse();
    expect(await service.jobs.work(id)).toBe('succeeded');

    expect(afters).toEqual([undefined, 'r2', 'r4']);
    const moved = (await h.current(org.id)) as Organization;
    expect(moved).toMatchObject({ status: 'active', placementVersion: 1 });
    expect(moved.placement.mode).toBe(other(mode));
    expect(h.stores.tenants.records(moved.placement).map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(h.stores.tenants.exists(org.placement)).toBe(false);
    expect(await service.jobs.get(id)).toMatchObject({ state: 'succeeded', result: { documents: 5 } });
  });

  it('is cancelled before its switch: the move is undone; a records write is served again', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Canceller');
    h.stores.tenants.write(org.placement, { id: 'r1', data: {} });
    const service = h.service();
    const { job } = await service.startMove({ id: org.id }, other(mode));
    await service.jobs.cancel(job?.id ?? '');

    expect(await service.jobs.work(job?.id ?? '')).toBe('cancelled');
    const after = (await h.current(org.id)) as Organization;
    expect(after).toMatchObject({ status: 'active', placement: org.placement, placementVersion: 1 });
    expect(h.stores.tenants.names()).toEqual([`${org.placement.database}.${org.placement.collection}`]);
  });

  it('is finished by the reconciler when its job ended without the switch: undone', async () => {
    const h = harness(mode);
    const { org } = await h.createOrg('Stranded');
    const service = h.service();
    const { job } = await service.startMove({ id: org.id }, other(mode));
    // the job ends without its handler (an operator marked it failed by hand, say)
    await h.stores.jobs.claim(job?.id ?? '', 'w', h.now(), new Date(0));
    await h.stores.jobs.finish(job?.id ?? '', 'w', { state: 'failed' }, h.now());
    h.lapse();

    const report = await service.reconcile();

    expect(report.settled).toBe(1);
    expect(await h.current(org.id)).toMatchObject({ status: 'active', placement: org.placement });
  });
});
