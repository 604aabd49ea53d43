import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bin/fuzz/options.ts';
import { passCounts } from '../../bin/fuzz/report.ts';

describe('Fuzz: options', () => {
  it('takes the example count, seed and workers from flags, then the environment, then defaults', () => {
    expect(parseOptions([], {})).toEqual({ examples: 100, seed: undefined, workers: 1, extra: [] });
    expect(parseOptions([], { FUZZ_EXAMPLES: '20', FUZZ_SEED: '7', FUZZ_WORKERS: '2' })).toEqual({
      examples: 20,
      seed: 7,
      workers: 2,
      extra: [],
    });
    expect(parseOptions(['--examples', '5', '--seed', '0'], { FUZZ_EXAMPLES: '20', FUZZ_SEED: '7' })).toMatchObject({
      examples: 5,
      seed: 0,
    });
  });

  it('passes what follows a second "--" to Schemathesis untouched', () => {
    expect(parseOptions(['--seed', '1', '--', '--phases', 'fuzzing'], {})).toMatchObject({
      seed: 1,
      extra: ['--phases', 'fuzzing'],
    });
  });

  it('refuses counts that are not whole numbers, and unknown flags', () => {
    for (const bad of [['--examples', '0'], ['--examples', '1.5'], ['--seed', '-1'], ['--workers', 'two'], ['--nope']]) {
      expect(() => parseOptions(bad, {}), bad.join(' ')).toThrow();
    }
    expect(() => parseOptions([], { FUZZ_EXAMPLES: 'many' })).toThrow(/--examples/);
  });
});

describe('Fuzz: counts from a Schemathesis report', () => {
  const report = (extra: Record<string, unknown>) => ({
    exit_code: 0,
    operations: { tested: 14 },
    phases: { examples: { status: 'success' }, stateful: { status: 'success' } },
    failures: [],
    errors: [],
    ...extra,
  });

  it('counts each operation tested and the stateful phase', () => {
    expect(passCounts(report({}))).toEqual({ passed: 15, failed: 0, failing: [] });
    expect(passCounts(report({ phases: { stateful: { status: 'skip' } } }))).toMatchObject({ passed: 14 });
  });

  it('fails each operation a failure names once, and each group of errors', () => {
    const counts = passCounts(
      report({
        exit_code: 1,
        failures: [
          { operations: ['GET /org/records', 'Stateful tests'] },
          { operations: ['GET /org/records', 'POST /org/create'] },
        ],
        errors: [{ title: 'Connection refused' }],
      }),
    );

    expect(counts).toEqual({
      passed: 12,
      failed: 4,
      failing: ['GET /org/records', 'Stateful tests', 'POST /org/create', 'error: Connection refused'],
    });
  });

  it('fails a run that wrote no report, or failed without naming anything', () => {
    expect(passCounts(undefined)).toMatchObject({ passed: 0, failed: 1 });
    expect(passCounts(report({ exit_code: 1 }))).toMatchObject({ passed: 15, failed: 1 });
  });
});
