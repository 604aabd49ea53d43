#!/usr/bin/env node
/**
 * Bundle sizes and cold import times. Every function is bundled as the stack bundles it, then its
 * bundle is imported in a fresh Node process, several times; the median wall time of that process is
 * printed next to the median of a bare `node -e 0` measured in the same run, so the difference is
 * what the bundle itself costs at a cold start.
 *
 *   node bin/bundle-report.ts [--runs 7] [--stage dev] [--json report.json]
 *
 * --json also writes { baselineMs, functions: [{ function, bytes, importMsMedian }], runs, node }.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Bundle, bundleFunctions, childOutput } from '../lib/bundles.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    stage: { type: 'string', default: 'dev' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

/** Wall time of one fresh Node process, in milliseconds. */
function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}:\n${childOutput(run.stderr)}`);
  return elapsed;
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

interface Target {
  readonly name: string;
  readonly bundle?: Bundle;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly samples: number[];
}

const outdir = mkdtempSync(join(tmpdir(), 'orgs-bundle-report-'));
try {
  console.error(`Bundling (stage ${values.stage})...`);
  const bundles = bundleFunctions(outdir, values.stage);
  const bare = { PATH: process.env.PATH };
  const targets: Target[] = [
    { name: 'node -e 0', args: ['-e', '0'], env: bare, samples: [] },
    ...bundles.map((bundle) => ({
      name: bundle.function,
      bundle,
      // The module reads its configuration at import, as at a Lambda cold start: give it the stack's.
      args: ['--input-type=module', '-e', 'await import(process.env.BUNDLE_URL)'],
      env: { ...bare, ...bundle.environment, BUNDLE_URL: pathToFileURL(bundle.file).href },
      samples: [],
    })),
  ];

  console.error(`Timing ${targets.length} targets, ${runs} runs each, interleaved...`);
  for (const target of targets) timeProcess(target.args, target.env); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const target of targets) target.samples.push(timeProcess(target.args, target.env));
  }

  const [baseline, ...functions] = targets;
  const baselineMs = round(median(baseline!.samples));
  const rows = functions.map((t) => ({ function: t.name, bytes: t.bundle!.bytes, importMsMedian: round(median(t.samples)) }));

  const header = ['function', 'bundle bytes', `process ms (median of ${runs})`, 'over baseline ms'];
  const table = [
    header,
    ['node -e 0 (baseline)', '', baselineMs.toFixed(1), ''],
    ...rows.map((r) => [
      r.function,
      r.bytes.toLocaleString('en-US'),
      r.importMsMedian.toFixed(1),
      `+${(r.importMsMedian - baselineMs).toFixed(1)}`,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table)
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  console.log(`Node ${process.versions.node} on ${process.platform}/${process.arch}`);

  if (values.json) {
    writeFileSync(
      values.json,
      `${JSON.stringify({ baselineMs, functions: rows, runs, node: process.versions.node }, null, 2)}\n`,
    );
    console.error(`Wrote ${values.json}`);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
