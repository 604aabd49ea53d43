import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/** `npm run bench` with tiny counts on this run's database, so the bench keeps working. */

const run = promisify(execFile);
let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const summary = expect.objectContaining({
  n: expect.any(Number),
  p50: expect.any(Number),
  p95: expect.any(Number),
  p99: expect.any(Number),
});

function positive(values: number[]) {
  for (const value of values) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThan(0);
  }
}

describe('Bench', () => {
  it('runs every part with tiny counts and writes every figure as JSON', async () => {
    dir = await mkdtemp(join(tmpdir(), 'orgs-bench-test-'));
    const out = join(dir, 'bench.json');
    const args = [
      ...['--iterations', '5', '--login-iterations', '2', '--bcrypt-cost', '4'],
      ...['--http-seconds', '0.3', '--http-requests', '12', '--concurrency', '1,4', '--authorizer-iterations', '50'],
      ...['--orgs', '25,40', '--scale-iterations', '3'],
      ...['--noisy-seconds', '1', '--noisy-rate', '20', '--quiet-rate', '5'],
      ...['--bundle-report', 'test/support/fake-bundle-report.ts', '--json', out],
    ];

    const { stdout } = await run(process.execPath, ['bin/bench.ts', ...args], { timeout: 100_000, maxBuffer: 4 * 1024 * 1024 });
    const result = JSON.parse(await readFile(out, 'utf8'));

    expect(stdout).toContain('Handler overhead');
    expect(stdout).toContain('Through HTTP');
    expect(result.meta.server.label).toMatch(/FerretDB|MongoDB/);
    expect(result.meta.machine.cpus).toBeGreaterThan(0);

    expect(result.handlers.rows.map((r: { route: string }) => r.route)).toEqual([
      'GET /org/get',
      'PUT /org/update',
      'POST /admin/login',
    ]);
    for (const row of result.handlers.rows) {
      expect(row).toMatchObject({ handler: summary, measured: summary, baseline: summary });
      positive([row.measured.p50, row.baseline.p50, row.ratioP50]);
    }
    expect(result.handlers.rows[2].bcrypt.p50).toBeGreaterThan(0);

    expect(result.http.rows).toHaveLength(4);
    for (const row of result.http.rows) {
      expect([row.api.non2xx, row.api.errors, row.baseline.non2xx, row.baseline.errors], JSON.stringify(row)).toEqual([
        0, 0, 0, 0,
      ]);
      positive([row.api.rps, row.baseline.rps, row.api.latency.p50, row.baseline.latency.p99]);
      expect(row.api.cpuMsPerRequest).toBeGreaterThanOrEqual(0);
      expect(row.baseline.cpuMsPerRequest).toBeGreaterThanOrEqual(0);
      expect(row.api.requests).toBeGreaterThanOrEqual(row.concurrency);
    }
    expect(result.http.rows.map((r: { concurrency: number }) => r.concurrency)).toEqual([1, 4, 1, 4]);

    expect(result.noisy.plans).toEqual({ quiet: 'standard', noisy: 'free' });
    expect(result.noisy.quiet429).toBe(0);
    positive([result.noisy.quiet.alone.p95, result.noisy.quiet.withNoise.p95, result.noisy.p95Ratio, result.noisy.noisy.sent]);
    expect(result.noisy.noisy.served + result.noisy.noisy.refused).toBe(result.noisy.noisy.sent);
    expect(stdout).toContain('Noisy neighbour');

    for (const kind of ['correct', 'wrongPassword', 'unknownEmail']) {
      positive([result.login[kind].total.p50, result.login[kind].bcrypt.p50]);
    }
    positive([result.login.unknownOverWrongP50, result.login.forgot.unknownOverKnownP50]);

    positive([result.authorizer.verifyPerSecond, result.authorizer.baselineVerifyPerSecond, result.authorizer.handler.p50]);

    expect(result.coldStart).toMatchObject({ status: 'measured', baselineMs: 40, runs: 3 });
    expect(result.coldStart.functions[0]).toEqual({
      function: 'org-get',
      bytes: 512_000,
      importMsMedian: 95,
      overBaselineMs: 55,
      ratio: 2.38,
    });

    expect(result.scale.points.map((p: { mode: string; orgs: number }) => `${p.mode} ${p.orgs}`)).toEqual([
      'collection 25',
      'database 25',
      'collection 40',
      'database 40',
    ]);
    for (const point of result.scale.points) {
      expect(point.rows.map((r: { route: string }) => r.route)).toEqual([
        'GET /org/get',
        'POST /admin/login',
        'GET /org/records/{id}',
        'POST /org/records',
      ]);
      for (const row of point.rows) positive([row.measured.p50, row.baseline.p50, row.db.p50, row.dbShare, row.masterDbShare]);
    }
    expect(result.scale.ratios).toHaveLength(8);
  }, 120_000); // every part, the noisy neighbour's local API included, on a loaded machine
});
