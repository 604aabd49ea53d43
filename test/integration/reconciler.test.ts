import { describe, expect, it, vi } from 'vitest';
import { masterDb, settledState, useTestDatabase } from '../support/db.ts';

vi.hoisted(() => {
  process.env.OPERATION_LEASE_SECONDS = '1';
});

useTestDatabase();

describe('Function: reconciler', () => {
  it('settles an organization whose create died midway', async () => {
    const { handler: createOrg } = await import('../../functions/org-create/handler.ts');
    const { handler: reconcile } = await import('../../functions/reconciler/handler.ts');
    const { invoke } = await import('../support/events.ts');
    const created = await invoke(createOrg, {
      method: 'POST',
      path: '/org/create',
      body: { organization_name: 'Half Made', email: 'half@made.example', password: 'half made pw' },
    });
    expect(created.status).toBe(201);
    // Put it back as a create that died before its last step.
    await masterDb()
      .collection('organizations')
      .updateOne(
        { slug: 'half_made' },
        { $set: { status: 'creating', operation: { kind: 'create', startedAt: new Date(Date.now() - 5_000) } } },
      );

    const result = await reconcile();

    expect(result).toMatchObject({ settled: 1, namesFreed: 0 });
    const state = await settledState();
    expect(state.problems).toEqual([]);
    expect(state.orgs.map((o) => o.slug)).not.toContain('half_made');
  });
});
