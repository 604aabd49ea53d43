import { describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_RETENTION_MS } from '#core/orgs/archive.ts';
import { PLACEMENT_MODES } from '#core/orgs/model.ts';
import { withFaults } from '../../support/fakes/index.ts';
import { type Harness, harness } from './harness.ts';

/** Reconciles, then works every job it queued (no queue here: jobs run when worked on). */
async function reconcileAndWork(h: Harness) {
  const svc = h.service();
  const report = await svc.reconcile();
  for (const job of await svc.jobs.list(100, ['queued'])) await svc.jobs.work(job.id);
  return report;
}

describe('Organization delete (archive), restore and purge', () => {
  it.each(PLACEMENT_MODES)('archives: data, sessions, users, name claim stay; the window is recorded (%s mode)', async (mode) => {
    const h = harness(mode);
    const { org, caller } = await h.createOrg('Doomed');
    h.stores.sessions.open(org.id, 's1');

    const archived = await h.service().delete(caller, 'doomed');

    expect(archived).toMatchObject({ id: org.id, status: 'archived' });
    expect(archived.archive).toMatchObject({
      archivedAt: h.now(),
      purgeAfter: new Date(h.now().getTime() + DEFAULT_ARCHIVE_RETENTION_MS),
      archivedBy: caller.userId,
    });
    expect(h.stores.tenants.exists(org.placement)).toBe(true);
    expect(h.stores.sessions.of(org.id)).toEqual(['s1']);
    expect(h.stores.admins.all().map((a) => a.orgId)).toEqual([org.id]);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['doomed']);
    expect(h.stores.locks.all()).toEqual([]);
    await expect(h.service().get('Doomed')).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(
      h.service().create({ name: 'DOOMED', email: 'x@example.test', password: 'a long secret' }),
    ).rejects.toMatchObject({
      code: 'organization_name_taken',
    });
    // A repeat answers the same archive.
    expect(await h.service().delete(caller, 'doomed')).toEqual(archived);
  });

  it('restores within the window, and refuses after it', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Back Again');
    await h.service().delete(caller, 'Back Again');

    const restored = await h.service().restoreOwned(caller.userId, org.id);
    expect(restored).toMatchObject({ id: org.id, status: 'active', name: 'Back Again' });
    expect(restored.archive).toBeUndefined();

    await h.service().delete(caller, 'Back Again');
    h.advance(DEFAULT_ARCHIVE_RETENTION_MS);
    await expect(h.service().restoreOwned(caller.userId, org.id)).rejects.toMatchObject({ code: 'restore_window_closed' });
    await expect(h.service().restoreOwned('0123456789abcdef01234567', org.id)).rejects.toMatchObject({
      code: 'archived_organization_not_found',
    });
  });

  it('purges after the window: everything goes, a bystander stays', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Doomed');
    const { org: bystander } = await h.createOrg('Bystander');
    h.stores.sessions.open(org.id, 's1');
    h.stores.sessions.open(bystander.id, 's2');
    h.stores.orgData.put('invitations', org.id, 3);
    await h.service().delete(caller, 'doomed');

    expect((await reconcileAndWork(h)).purged).toBe(0); // the window is open
    h.advance(DEFAULT_ARCHIVE_RETENTION_MS);
    expect((await reconcileAndWork(h)).purged).toBe(1);

    expect(await h.current(org.id)).toBeNull();
    expect(h.stores.tenants.exists(org.placement)).toBe(false);
    expect(h.stores.sessions.of(org.id)).toEqual([]);
    expect(h.stores.sessions.of(bystander.id)).toEqual(['s2']);
    expect(h.stores.admins.all().map((a) => a.orgId)).toEqual([bystander.id]);
    expect(h.stores.names.all().map((c) => c.slug)).toEqual(['bystander']);
    expect(await h.stores.orgData.count('invitations', org.id)).toBe(0);
    expect(h.stores.tenants.exists(bystander.placement)).toBe(true);
  });

  it('a purge that failed at a step resumes from it and ends the same', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Half Done');
    await h.service().delete(caller, 'Half Done');
    const { stores } = withFaults(h.stores, { call: 'memberships.removeByOrg' });

    await expect(h.service(stores).purge(org.id)).rejects.toThrow(/purge job \w+ failed/);
    const stopped = await h.current(org.id);
    expect(stopped).toMatchObject({ status: 'purging' });
    expect(stopped?.purge?.done).toEqual(['counted', 'sessions']);
    await expect(h.service().restoreOwned(caller.userId, org.id)).rejects.toMatchObject({ code: 'restore_window_closed' });

    expect((await reconcileAndWork(h)).purged).toBe(1); // resumed, window or not
    expect(await h.current(org.id)).toBeNull();
    expect(h.stores.admins.all()).toEqual([]);
    expect(h.stores.names.all()).toEqual([]);
  });

  it('legal hold blocks every purge until released', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Held');
    await h.service().delete(caller, 'Held');
    await h.service().setLegalHold(org.id, true);
    h.advance(DEFAULT_ARCHIVE_RETENTION_MS);

    expect((await reconcileAndWork(h)).purged).toBe(0);
    await expect(h.service().purge(org.id)).rejects.toMatchObject({ code: 'legal_hold' });
    expect(await h.current(org.id)).toMatchObject({ status: 'archived', legalHold: true });

    await h.service().setLegalHold(org.id, false);
    expect((await reconcileAndWork(h)).purged).toBe(1);
    expect(await h.current(org.id)).toBeNull();
  });

  it('a legal hold outlives a restore: the next delete is held too', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Held Over');
    await h.service().delete(caller, 'Held Over');
    await h.service().setLegalHold(org.id, true);
    await h.service().restoreOwned(caller.userId, org.id);
    expect(await h.current(org.id)).toMatchObject({ status: 'active', legalHold: true });

    await h.service().delete(caller, 'Held Over');
    h.advance(DEFAULT_ARCHIVE_RETENTION_MS);
    expect((await reconcileAndWork(h)).purged).toBe(0);
    await expect(h.service().purge(org.id)).rejects.toMatchObject({ code: 'legal_hold' });
    expect(await h.current(org.id)).toMatchObject({ status: 'archived' });
  });

  it('purges a due organization however many held or not yet due ones there are', async () => {
    const h = harness();
    const waiting = [];
    for (let i = 0; i < 101; i += 1) {
      const { org, caller } = await h.createOrg(`Waiting ${i}`);
      await h.service().delete(caller, `Waiting ${i}`);
      if (i % 2 === 0) await h.service().setLegalHold(org.id, true);
      waiting.push(org.id);
    }
    h.advance(DEFAULT_ARCHIVE_RETENTION_MS);
    // Archived later: due now are the 50 older ones not on hold; the held 51 and this one's window stay.
    const { org: late, caller: lateCaller } = await h.createOrg('Late');
    await h.service().delete(lateCaller, 'Late');
    const { org: due, caller: dueCaller } = await h.createOrg('Due');
    await h.service().delete(dueCaller, 'Due');
    const archive = (await h.current(due.id))?.archive;
    if (!archive) throw new Error('not archived');
    await h.stores.orgs.transition(due.id, ['archived'], {
      archive: { ...archive, purgeAfter: new Date(h.now().getTime() - 1) },
    });

    expect((await reconcileAndWork(h)).purged).toBe(51);
    expect(await h.current(due.id)).toBeNull();
    expect(await h.current(late.id)).toMatchObject({ status: 'archived' });
    const left = await Promise.all(waiting.map((id) => h.current(id)));
    expect(left.filter((org) => org !== null).every((org) => org?.legalHold === true)).toBe(true);
    expect(left.filter((org) => org !== null)).toHaveLength(51);
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

  it('answers 409 while another change holds a live lock', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Locked A');
    await h.holdLock(org.id, 'update');

    await expect(h.service().delete(caller, 'Locked A')).rejects.toMatchObject({ code: 'operation_in_progress' });
    expect(await h.current(org.id)).toMatchObject({ status: 'active' });
  });

  it('a retried delete frees the lock a run left after archiving, once its lease has lapsed', async () => {
    const h = harness();
    const { org, caller } = await h.createOrg('Half Done');
    // The run archived, then could not release its lock (the database went away in between).
    const { stores } = withFaults(h.stores, { call: 'locks.release' });
    await expect(h.service(stores).delete(caller, 'Half Done')).resolves.toMatchObject({ status: 'archived' });
    expect(h.stores.locks.all().map((lock) => lock.orgId)).toEqual([org.id]);

    // Within the lease the lock might still be a live run's: it stays, and the retry answers the archive.
    expect(await h.service().delete(caller, 'Half Done')).toMatchObject({ status: 'archived' });
    expect(h.stores.locks.all()).toHaveLength(1);
    h.lapse();
    expect(await h.service().delete(caller, 'Half Done')).toMatchObject({ status: 'archived' });
    expect(h.stores.locks.all()).toEqual([]);
  });

  it('answers 403 for another organization', async () => {
    const h = harness();
    const { org } = await h.createOrg('Theirs');
    const { caller } = await h.createOrg('Mine');

    await expect(h.service().delete(caller, 'Theirs')).rejects.toMatchObject({ name: 'ForbiddenError' });
    expect(await h.current(org.id)).toEqual(org);
  });

  it('finishes a one-step delete begun before archiving, caught mid-rename: both places dropped', async () => {
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
