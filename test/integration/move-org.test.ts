import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type Caller, loadApi } from '../support/api.ts';
import { authorizeToken, logIn } from '../support/auth.ts';
import {
  collectionNamed,
  dropTenantDatabasesAfterAll,
  masterDb,
  placeExists,
  settledState,
  useTestDatabase,
} from '../support/db.ts';

/** The operator's move script, run as operators run it, on this file's databases. */

useTestDatabase();
dropTenantDatabasesAfterAll();

const run = promisify(execFile);
const moveOrg = (...args: string[]) =>
  run(process.execPath, ['bin/move-org.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } }).then(
    ({ stdout }) => ({ code: 0, out: stdout.trim() }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      out: `${error.stdout}${error.stderr}`.trim(),
    }),
  );

describe('Script: move-org', () => {
  it('moves an organization to its own database and back, keeping its records', async () => {
    const api = await loadApi('collection');
    try {
      expect((await api.createOrg('Operator Moved Co', 'ops@move.example', 'operator password')).status).toBe(201);
      const caller = (await authorizeToken((await logIn('ops@move.example', 'operator password')).access_token)) as Caller;
      const org = await masterDb().collection('organizations').findOne({ slug: 'operator_moved_co' });
      const record = await api.create(caller, { big: 'customer' });

      const there = await moveOrg('--org', 'Operator Moved Co', '--to', 'database');
      const back = await moveOrg('--id', caller.orgId, '--to', 'collection');

      expect(there.code).toBe(0);
      expect(JSON.parse(there.out)).toEqual({
        organization_id: caller.orgId,
        organization_name: 'Operator Moved Co',
        placement: {
          mode: 'database',
          database: expect.stringMatching(`^${process.env.TENANT_DB_NAME}_[0-9a-f]{24}$`),
          collection: 'records',
        },
        // No job queue here: the script worked on the move's job itself, to its end.
        job: expect.objectContaining({
          kind: 'move',
          state: 'succeeded',
          organization_id: caller.orgId,
          result: { documents: 1, placement_mode: 'database' },
        }),
      });
      expect(JSON.parse(back.out).placement).toEqual({
        mode: 'collection',
        database: process.env.TENANT_DB_NAME,
        collection: expect.stringMatching(collectionNamed('operator_moved_co')),
      });
      expect(await placeExists(JSON.parse(there.out).placement)).toBe(false);
      expect(await api.get(caller, record.body.id)).toMatchObject({ status: 200, body: { data: { big: 'customer' } } });
      expect(org?.placement.mode).toBe('collection');
      expect((await settledState()).problems).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it('lists, shows and refuses to cancel or retry a finished job (org:jobs)', async () => {
    const orgJobs = (...args: string[]) =>
      run(process.execPath, ['bin/org-jobs.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } }).then(
        ({ stdout }) => ({ code: 0, out: stdout.trim() }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          out: `${error.stdout}${error.stderr}`.trim(),
        }),
      );
    const listed = JSON.parse((await orgJobs('list', '--state', 'succeeded')).out) as {
      jobs: { job_id: string; kind: string }[];
    };
    expect(listed.jobs.length).toBeGreaterThanOrEqual(2); // the two moves above
    const [latest] = listed.jobs;
    expect(JSON.parse((await orgJobs('show', latest?.job_id ?? '')).out)).toMatchObject({
      job_id: latest?.job_id,
      state: 'succeeded',
    });
    expect(await orgJobs('cancel', latest?.job_id ?? '')).toMatchObject({ code: 1, out: expect.stringContaining('succeeded') });
    expect(await orgJobs('retry', latest?.job_id ?? '')).toMatchObject({ code: 1 });
    expect(await orgJobs('show', '0123456789abcdef01234567')).toMatchObject({ code: 1, out: expect.stringContaining('no job') });
    expect(await orgJobs('list', '--state', 'sleeping')).toMatchObject({ code: 2 });
  });

  it('explains its usage and refuses an unknown organization', async () => {
    expect(await moveOrg('--to', 'database')).toMatchObject({ code: 2, out: expect.stringContaining('usage') });
    expect(await moveOrg('--org', 'Nobody Here', '--to', 'somewhere')).toMatchObject({ code: 2 });
    expect(await moveOrg('--org', 'Nobody Here', '--to', 'database')).toMatchObject({
      code: 1,
      out: expect.stringContaining('organization_not_found'),
    });
    expect(JSON.parse((await moveOrg('--reconcile')).out)).toMatchObject({ settled: 0 });
  });
});
