import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bin/bench/options.ts';
import { type BenchResult, renderReport, table } from '../../bin/bench/report.ts';
import { percentile, summarize } from '../../bin/bench/stats.ts';

describe('Bench: statistics', () => {
  it('interpolates percentiles between samples', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    expect(percentile(sorted, 50)).toBe(5.5);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes samples in any order', () => {
    const summary = summarize([3, 1, 2, 100]);

    expect(summary).toMatchObject({ n: 4, min: 1, max: 100, p50: 2.5, mean: 26.5 });
    expect(summary.p99).toBeCloseTo(97.09, 2);
  });
});

describe('Bench: options', () => {
  it('runs every part with the documented defaults', () => {
    const options = parseOptions([]);

    expect(options).toMatchObject({
      parts: ['handlers', 'http', 'noisy', 'login', 'authorizer', 'coldstart', 'scale'],
      concurrency: [1, 10, 50],
      noisySeconds: 6,
      noisyRate: 50,
      quietRate: 10,
      orgs: [100, 1_000, 10_000],
      modes: ['collection', 'database'],
      bcryptCost: 12,
    });
  });

  it('takes lists and keeps the parts in their running order', () => {
    const options = parseOptions([
      '--parts',
      'scale,handlers',
      '--orgs',
      '5000,200',
      '--http-seconds',
      '0.5',
      '--modes',
      'database',
    ]);

    expect(options).toMatchObject({ parts: ['handlers', 'scale'], orgs: [200, 5000], httpSeconds: 0.5, modes: ['database'] });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseOptions(['--parts', 'everything'])).toThrow(/unknown part/);
    expect(() => parseOptions(['--modes', 'silo'])).toThrow(/unknown mode/);
    expect(() => parseOptions(['--iterations', '0'])).toThrow(/--iterations/);
    expect(() => parseOptions(['--bcrypt-cost', '3'])).toThrow(/--bcrypt-cost/);
    expect(() => parseOptions(['--verbose'])).toThrow();
    expect(parseOptions(['--help'])).toBe('help');
  });
});

describe('Bench: table', () => {
  it('aligns columns under a rule', () => {
    expect(
      table(
        ['route', 'p50'],
        [
          ['GET /org/get', '1.20'],
          ['PUT /x', '10.5'],
        ],
      ),
    ).toBe(['route         p50', '------------  ----', 'GET /org/get  1.20', 'PUT /x        10.5'].join('\n'));
  });
});

describe('Bench: report', () => {
  const latency = summarize([1, 2, 3]);
  const figures = (non2xx: number) => ({
    requests: 3 + non2xx,
    seconds: 1,
    rps: 3 + non2xx,
    latency,
    non2xx,
    statuses: non2xx ? { '200': 3, '503': non2xx } : { '200': 3 },
    errors: 0,
    timeouts: 0,
    cutShortRounds: 0,
    cpuMsPerRequest: 1.5,
  });
  const result = (non2xx: number) =>
    ({
      meta: {
        startedAt: '2026-01-01T00:00:00.000Z',
        seconds: 1,
        command: 'npm run bench',
        server: {
          kind: 'ferretdb',
          label: 'FerretDB 1.24.2 (embedded, SQLite backend)',
          embedded: true,
          reportedVersion: '7.0.42',
        },
        machine: {
          cpus: 2,
          cpuModel: 'cpu',
          memoryGiB: 8,
          node: 'v24.0.0',
          platform: 'linux x64',
          loadAverage: { start: 1, end: 1 },
        },
        options: parseOptions([]),
      },
      http: {
        secondsPerSide: 2,
        authorizerCacheSeconds: 55,
        maxRequestsPerSide: 5000,
        rows: [{ route: 'PUT /org/update', concurrency: 10, api: figures(non2xx), baseline: figures(0), rpsRatio: 1 }],
      },
    }) as BenchResult;

  it('says which server the figures come from', () => {
    expect(renderReport(result(0))).toContain('server:  FerretDB 1.24.2 (embedded, SQLite backend)');
  });

  it('calls out answers that were not 2xx, with their statuses', () => {
    expect(renderReport(result(0))).not.toContain('NOT ALL ANSWERED 2xx');
    expect(renderReport(result(2))).toContain('NOT ALL ANSWERED 2xx: PUT /org/update at 10 (api): statuses {"200":3,"503":2}');
  });
});
