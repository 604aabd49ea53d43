import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { Organization } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { type Fault, interpose, withFaults } from '../../support/fakes/index.ts';
import { harness, LEASE_MS, password, TENANT_DB } from './harness.ts';

type H = ReturnType<typeof harness>;

/** Runs `op` through stores where `faults` fail, as a run that dies there (its own undo fails too). */
async function dieDuring(h: H, op: (svc: ReturnType<H['service']>) => Promise<unknown>, ...faults: Fault[]) {
  const { stores } = withFaults(h.stores, ...faults);
  await expect(op(h.service(stores))).rejects.toThrow();
}

describe('Recovery of abandoned operations', () => {
  it('undoes an abandoned create once its lease has lapsed, and not before', async () => {
    const h = harness();
    await dieDuring(
      h,
      (svc) => svc.create({ name: 'Dead Create', email: 'dead@create.test', password }),
      { call: 'tenants.create' },
      { call: 'tenants.drop' },
    );
    const [dead] = h.stores.orgs.all();
    expect(dead).toMatchObject({ status: 'creating' });

    expect(await h.service().reconcile()).toMatchObject({ settled: 0 });
    expect(await h.service().recoverAbandoned(dead?.id ?? '')).toMatchObject({ status: 'creating' });

    h.lapse();
    expect(await h.service().recoverAbandoned(dead?.id ?? '')).toBeNull();
    expect(h.stores.orgs.all()).toEqual([]);
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
    expect(h.stores.tenants.names()).toEqual([]);
  });

  it('finishes an abandoned rename as a new owner: the commit presents the new fencing token', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Half Renamed');
    await dieDuring(h, (svc) => svc.update(caller, { name: 'Half Renamed', newName: 'Fully Renamed' }), {
      call: 'tenants.renameCollection',
    });
    const dead = (await h.current(org.id)) as Organization;
    const deadToken = dead.operation?.kind === 'rename' ? dead.operation.owner : undefined;
    const tokens: (string | null | undefined)[] = [];
    const watched = interpose(h.stores, 'orgs', 'transition', async (transition, args) => {
      tokens.push(args[3]);
      return transition(...args);
    });
    h.lapse();

    const after = await h.service(watched).recoverAbandoned(org.id);

    expect(after).toMatchObject({ slug: 'fully_renamed', status: 'active', placementVersion: 1 });
    expect(tokens).toHaveLength(2); // the take-over, then the commit
    expect(tokens[0]).toBe(deadToken);
    expect(tokens[1]).not.toBe(deadToken);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['fully_renamed']);
    expect(h.stores.locks.all()).toEqual([]);
  });

  it('leaves a move whose worker died to its job: a request does not undo it, the reconciler wakes the job, which finishes it', async () => {
    const h = harness();
    const { org } = await h.createOrg('Half Moved');
    h.stores.tenants.write(org.placement, { id: 'r1', data: {} });
    const sent: string[] = [];
    const service = new OrganizationService({
      stores: h.stores,
      hasher: createPasswordHasher(4),
      placements: new PlacementPolicy(TENANT_DB, 'collection', collectionLabel),
      leaseMs: LEASE_MS,
      now: h.now,
      jobs: { queue: { send: async (jobId) => void sent.push(jobId) }, maxAttempts: 1 },
    });
    const { job } = await service.startMove({ id: org.id }, 'database');
    const id = job?.id ?? '';
    await h.stores.jobs.claim(id, 'a-worker-that-dies', h.now(), new Date(0));
    h.lapse();

    const met = await service.recoverAbandoned(org.id);
    expect(met).toMatchObject({ status: 'moving' });
    sent.length = 0;
    await service.reconcile();
    expect(sent).toEqual([id]); // the sweep's wake-up

    expect(await service.jobs.work(id)).toBe('succeeded');
    const finished = await h.current(org.id);
    expect(finished).toMatchObject({ status: 'active', placementVersion: 1, placement: { mode: 'database' } });
    expect(h.stores.tenants.records(finished?.placement ?? org.placement).map((r) => r.id)).toEqual(['r1']);
  });

  it('finishes an abandoned delete at once, without waiting for a lease', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Half Deleted');
    await dieDuring(h, (svc) => svc.delete(caller, 'Half Deleted'), { call: 'sessions.removeByOrg' });
    expect(await h.current(org.id)).toMatchObject({ status: 'deleting' });

    expect(await h.service().recoverAbandoned(org.id)).toBeNull();
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
  });

  it('leaves an operation alone while its run holds a live lock, even after the operation is a lease old', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Slow Rename');
    await dieDuring(h, (svc) => svc.update(caller, { name: 'Slow Rename', newName: 'Slower' }), {
      call: 'tenants.renameCollection',
    });
    h.lapse();
    const lock = await h.holdLock(org.id, 'update'); // its owner renews its lease: alive

    const report = await h.service().reconcile();

    expect(report).toMatchObject({ settled: 0, failures: [] });
    expect(await h.current(org.id)).toMatchObject({ status: 'renaming' });
    expect(h.stores.locks.all()).toEqual([lock]);
    expect(await h.service().recoverAbandoned(org.id)).toMatchObject({ status: 'renaming' });
  });

  it('settles nothing and frees nothing when everything is in use', async () => {
    const h = harness();
    await h.createOrg('Healthy A');
    await h.createOrg('Healthy B', undefined, 'database');
    h.advance(LEASE_MS * 10);

    expect(await h.service().reconcile()).toEqual({
      settled: 0,
      namesFreed: 0,
      locksFreed: 0,
      placesFreed: 0,
      eventsCommitted: 0,
      eventsDropped: 0,
      jobsWoken: 0,
      failures: [],
    });
  });

  it('counts what it settles and frees, and lists what fails while going on with the rest', async () => {
    const h = harness();
    // one abandoned create, one stale name claim, one lock nobody uses, two places nobody uses
    await dieDuring(
      h,
      (svc) => svc.create({ name: 'Dead One', email: 'd1@x.test', password }),
      { call: 'tenants.create' },
      { call: 'tenants.drop' },
    );
    const { org: live } = await h.createOrg('Live One');
    await h.stores.names.claim({ slug: 'nobody', orgId: live.id, claimedAt: h.now() });
    await h.holdLock(live.id, 'update', 'forgotten');
    const leftover = { mode: 'collection' as const, database: 'tenants', collection: 'org_left_over_0000000000' };
    const broken = { mode: 'collection' as const, database: 'tenants', collection: 'org_broken_0000000000' };
    await h.stores.tenants.create(leftover);
    await h.stores.tenants.create(broken);
    h.lapse();
    const refusing = interpose(h.stores, 'tenants', 'drop', async (drop, args) => {
      if (args[0].collection === broken.collection) throw new Error('drop refused');
      return drop(...args);
    });

    const report = await h.service(refusing).reconcile();

    expect(report).toEqual({
      settled: 1,
      namesFreed: 1,
      locksFreed: 1,
      placesFreed: 1,
      eventsCommitted: 0,
      eventsDropped: 0,
      jobsWoken: 0,
      failures: [{ step: 'place', subject: `tenants.${broken.collection}`, error: 'Error: drop refused' }],
    });
    expect(h.stores.orgs.all().map((o) => o.id)).toEqual([live.id]);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['live_one']);
    expect(h.stores.locks.all()).toEqual([]);
    expect(h.stores.tenants.exists(leftover)).toBe(false);
    expect(h.stores.tenants.exists(live.placement)).toBe(true);
  });
});
