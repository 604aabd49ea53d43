import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { root } from './env.ts';
import { ratio, round } from './stats.ts';

/**
 * Cold start: each function's bundle size and the time a fresh Node process takes to import it,
 * against a bare `node -e 0`. The bundle report script builds and times the bundles exactly as they
 * deploy; this part runs it and puts its figures in the table.
 */

const run = promisify(execFile);

export interface BundleFigure {
  readonly function: string;
  readonly bytes: number;
  readonly importMsMedian: number;
  /** importMsMedian minus the bare process start. */
  readonly overBaselineMs: number;
  readonly ratio: number;
}

export type ColdStartResult =
  | {
      readonly status: 'measured';
      readonly script: string;
      readonly baselineMs: number;
      /** Fresh processes per function the medians come from, when the report says. */
      readonly runs?: number;
      readonly functions: BundleFigure[];
    }
  | { readonly status: 'skipped' | 'failed'; readonly script: string; readonly reason: string };

interface BundleReport {
  baselineMs: number;
  runs?: number;
  functions: { function: string; bytes: number; importMsMedian: number }[];
}

function isReport(value: unknown): value is BundleReport {
  const r = value as BundleReport;
  return (
    typeof r?.baselineMs === 'number' &&
    Array.isArray(r.functions) &&
    r.functions.every(
      (f) => typeof f.function === 'string' && typeof f.bytes === 'number' && typeof f.importMsMedian === 'number',
    )
  );
}

export async function runColdStart(script: string): Promise<ColdStartResult> {
  const path = resolve(root, script);
  if (!existsSync(path)) return { status: 'skipped', script, reason: `${script} does not exist` };
  const dir = await mkdtemp(join(tmpdir(), 'orgs-bench-'));
  const out = join(dir, 'bundles.json');
  try {
    await run(process.execPath, [path, '--imports-only', '--json', out], {
      cwd: root,
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const report: unknown = JSON.parse(await readFile(out, 'utf8'));
    if (!isReport(report)) return { status: 'failed', script, reason: `${script} wrote JSON of an unexpected shape` };
    return {
      status: 'measured',
      script,
      baselineMs: round(report.baselineMs),
      ...(typeof report.runs === 'number' ? { runs: report.runs } : {}),
      functions: report.functions.map((f) => ({
        function: f.function,
        bytes: f.bytes,
        importMsMedian: round(f.importMsMedian),
        overBaselineMs: round(f.importMsMedian - report.baselineMs),
        ratio: ratio(f.importMsMedian, report.baselineMs),
      })),
    };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    return { status: 'failed', script, reason: (stderr || (error as Error).message).split('\n').slice(-3).join(' ') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
