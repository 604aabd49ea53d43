#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { newKeySet } from '#core/auth/keys.ts';
import {
  BUNDLE_SECRET_ARNS,
  type Bundle,
  bundleFunctions,
  bundleHoldings,
  bundleSource,
  childOutput,
  type Holdings,
  REFERENCE_SOURCES,
  TELEMETRY_ENVIRONMENT,
  TELEMETRY_SOURCES,
} from '../lib/bundles.ts';
/**
 * The cold-start report, in one run.
 *
 * 1. Imports. Every function is bundled as the stack bundles it, and so are two yardsticks built
 *    by this script from the same libraries with the same options (lib/bundles.ts
 *    `REFERENCE_SOURCES`): the reference (every library imported eagerly) and the MongoDB driver
 *    alone; and two telemetry yardsticks (`TELEMETRY_SOURCES`): Powertools' Logger and Metrics, which
 *    every function loads, and its Tracer, which none does (what X-Ray tracing would add). Each bundle is imported in a fresh Node process, turn by turn with a bare `node -e 0`,
 *    several times; a function's cost is its median over the bare process, and its ratio is that
 *    cost over the reference's. The targets: the authorizer at most 0.6x, the openapi function at
 *    most 0.15x, every database function at most 0.8x.
 * 2. What each bundle holds: KB of output by package, from esbuild's metafile of the same build.
 * 3. First response (skip with --imports-only). A cold process per function, in the order a client
 *    meets them (create, login, authorizer, get, a record write, the document), against the embedded
 *    database and the local secrets stand-in on the extension's protocol, split into its parts:
 *    import, secrets (as the stand-in served them), discover (the first server selection), connect (the first connection's set-up, from
 *    the driver's log), database commands (the wall time some command was running, from the
 *    driver's log), and the rest (our code, hashing, the driver's own work).
 *
 *   node bin/bundle-report.ts [--runs 7] [--first-response-runs 3] [--stage dev] [--imports-only]
 *                             [--before <git ref>] [--json report.json]
 *
 * --before also bundles the functions of that commit (in a temporary worktree, with its own stack
 * code) and times them in the same turns, so before and after come from one run.
 *
 * --json writes { runs, node, baselineMs, functions: [{ function, bytes, importMsMedian }], imports,
 * firstResponse }; the bench reads baselineMs and functions.
 */
import type { TestCaller } from '../test/support/callers.ts';
import { authorizerEvent, httpEvent } from '../test/support/events.ts';
import { runBundle } from './cold-start/run-bundle.ts';
import { startSecretsStandIn } from './cold-start/secrets-stand-in.ts';
import { startEmbeddedMongo } from './embedded-db/embedded-db.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'first-response-runs': { type: 'string', default: '3' },
    stage: { type: 'string', default: 'dev' },
    'imports-only': { type: 'boolean', default: false },
    before: { type: 'string' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const firstRuns = Number(values['first-response-runs']);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
if (!Number.isInteger(firstRuns) || firstRuns < 1) throw new Error('--first-response-runs must be a positive integer');

/** The most a function's import may cost, as a share of the reference's; see the file's docstring. */
function importTarget(fn: string): number {
  if (fn === 'authorizer') return 0.6;
  if (fn === 'openapi') return 0.15;
  return 0.8;
}

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

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows)
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
}

interface Target {
  readonly name: string;
  readonly bytes?: number;
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  readonly samples: number[];
}

const bare = { PATH: process.env.PATH };
const importing = (file: string, env: Readonly<Record<string, string>> = {}): Pick<Target, 'args' | 'env'> => ({
  // The module reads its configuration at import, as at a Lambda cold start: give it the stack's.
  args: ['--input-type=module', '-e', 'await import(process.env.BUNDLE_URL)'],
  env: { ...bare, ...env, BUNDLE_URL: pathToFileURL(file).href },
});

/** The functions of another commit, bundled by that commit's own stack code in a temporary worktree. */
async function bundlesAt(ref: string, outdir: string): Promise<{ bundles: Bundle[]; cleanUp: () => void }> {
  const root = join(import.meta.dirname, '..');
  const tree = mkdtempSync(join(tmpdir(), 'orgs-before-'));
  const git = (...args: string[]) => {
    const run = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`git ${args.join(' ')}: ${run.stderr}`);
  };
  git('worktree', 'add', '--detach', '--force', tree, ref);
  const cleanUp = () => git('worktree', 'remove', '--force', tree);
  try {
    symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
    const lib = (await import(pathToFileURL(join(tree, 'lib', 'bundles.ts')).href)) as typeof import('../lib/bundles.ts');
    return { bundles: lib.bundleFunctions(join(outdir, 'before'), values.stage), cleanUp };
  } catch (error) {
    cleanUp();
    throw error;
  }
}

async function importReport(bundles: Bundle[], outdir: string, before: Bundle[] = []) {
  const reference = await bundleSource(outdir, 'reference', REFERENCE_SOURCES.reference);
  const driver = await bundleSource(outdir, 'driver', REFERENCE_SOURCES.driver);
  const telemetry = await bundleSource(outdir, 'telemetry', TELEMETRY_SOURCES.loggerAndMetrics);
  const tracer = await bundleSource(outdir, 'tracer', TELEMETRY_SOURCES.tracer);
  const yardsticks: Target[] = [
    { name: 'reference (all libraries)', bytes: reference.bytes, ...importing(reference.file), samples: [] },
    { name: 'mongodb driver alone', bytes: driver.bytes, ...importing(driver.file), samples: [] },
    {
      name: 'powertools logger + metrics',
      bytes: telemetry.bytes,
      ...importing(telemetry.file, TELEMETRY_ENVIRONMENT),
      samples: [],
    },
    { name: 'powertools tracer (not used)', bytes: tracer.bytes, ...importing(tracer.file, TELEMETRY_ENVIRONMENT), samples: [] },
  ];
  const targets: Target[] = [
    { name: 'node -e 0', args: ['-e', '0'], env: bare, samples: [] },
    ...yardsticks,
    ...bundles.map((b) => ({ name: b.function, bytes: b.bytes, ...importing(b.file, b.environment), samples: [] })),
    ...before.map((b) => ({ name: `${b.function} (before)`, bytes: b.bytes, ...importing(b.file, b.environment), samples: [] })),
  ];
  console.error(`Timing ${targets.length} imports, ${runs} runs each, turn by turn...`);
  for (const target of targets) timeProcess(target.args, target.env); // warm the file cache
  for (let i = 0; i < runs; i++) for (const target of targets) target.samples.push(timeProcess(target.args, target.env));

  const baselineMs = median(targets[0]!.samples);
  const cost = (t: Target) => median(t.samples) - baselineMs;
  const referenceCost = cost(targets[1]!);
  const rows = targets.slice(1).map((t, index) => {
    const isFunction = index >= yardsticks.length;
    const ratio = cost(t) / referenceCost;
    const fn = t.name.replace(/ \(before\)$/, '');
    return {
      name: t.name,
      bytes: t.bytes ?? 0,
      processMs: round(median(t.samples)),
      importMs: round(cost(t)),
      ratio: Math.round(ratio * 100) / 100,
      ...(isFunction ? { target: importTarget(fn), meets: ratio <= importTarget(fn) } : {}),
    };
  });
  // Each function's row, then its row before, when there is one.
  const order = (name: string) => bundles.findIndex((b) => b.function === name.replace(/ \(before\)$/, ''));
  rows.sort((a, b) => order(a.name) - order(b.name) || Number(a.name.endsWith('(before)')) - Number(b.name.endsWith('(before)')));
  console.log(`\nImports: median of ${runs} fresh processes; cost = process - node -e 0 (${round(baselineMs)} ms)`);
  printTable([
    ['bundle', 'KB', 'process ms', 'cost ms', 'x reference', 'target', ''],
    ...rows.map((r) => [
      r.name,
      (r.bytes / 1024).toFixed(0),
      r.processMs.toFixed(1),
      r.importMs.toFixed(1),
      r.ratio.toFixed(2),
      r.target === undefined ? '' : `<= ${r.target}`,
      r.meets === undefined ? '' : r.meets ? 'meets' : 'MISSES',
    ]),
  ]);
  return { baselineMs: round(baselineMs), rows };
}

/** What each function's bundle holds, in KB, by package (the driver's own dependencies with it) and ours. */
async function holdingsReport(bundles: Bundle[]): Promise<Record<string, Holdings>> {
  const all: Record<string, Holdings> = {};
  for (const b of bundles) all[b.function] = await bundleHoldings(b.function);
  const totals = new Map<string, number>();
  for (const h of Object.values(all))
    for (const [group, bytes] of Object.entries(h)) totals.set(group, (totals.get(group) ?? 0) + bytes);
  const ours = ['our core', 'our function'];
  const groups = [...totals.entries()]
    .filter(([group, bytes]) => !ours.includes(group) && bytes >= 1024)
    .sort((a, b) => b[1] - a[1])
    .map(([group]) => group);
  const kb = (bytes: number | undefined) => (bytes ? (bytes / 1024).toFixed(0) : '');
  console.log("\nWhat each bundle holds, KB of output by package (esbuild's metafile of the same build)");
  printTable([
    ['function', ...groups, 'ours', 'other'],
    ...bundles.map((b) => {
      const h = all[b.function] ?? {};
      const other = Object.entries(h)
        .filter(([group]) => !groups.includes(group) && !ours.includes(group))
        .reduce((sum, [, bytes]) => sum + bytes, 0);
      return [b.function, ...groups.map((g) => kb(h[g])), kb((h['our core'] ?? 0) + (h['our function'] ?? 0)), kb(other)];
    }),
  ]);
  return all;
}

interface Invocation {
  readonly result: { statusCode?: number; body?: string; isAuthorized?: boolean; context?: Record<string, unknown> };
  readonly startedAt: number;
  readonly importedAt: number;
  readonly answeredAt: number;
  readonly stderr: string;
}

/** One cold invocation of a bundle in a fresh process, with the driver's connection and command log on stderr. */
async function invokeCold(bundle: Bundle, env: Record<string, string>, event: unknown): Promise<Invocation> {
  const { answer, stderr } = await runBundle(
    bundle.function,
    bundle.file,
    {
      ...bare,
      ...bundle.environment,
      ...env,
      MONGODB_LOG_CONNECTION: 'debug',
      MONGODB_LOG_COMMAND: 'debug',
      MONGODB_LOG_SERVER_SELECTION: 'debug',
      MONGODB_LOG_MAX_DOCUMENT_LENGTH: '0',
      MONGODB_LOG_PATH: 'stderr',
    },
    event,
  );
  return { ...(answer as Omit<Invocation, 'stderr'>), stderr };
}

/** Total length of the union of intervals [start, end], in the intervals' unit. */
function unionLength(intervals: [number, number][]): number {
  let total = 0;
  let reach = Number.NEGATIVE_INFINITY;
  for (const [start, end] of [...intervals].sort((x, y) => x[0] - y[0])) {
    if (end <= reach) continue;
    total += end - Math.max(start, reach);
    reach = end;
  }
  return total;
}

/**
 * Wall-clock parts from the driver's log (MONGODB_LOG_PATH=stderr), which writes one
 * `util.inspect`ed object a line: `{ t: 2026-…Z, c: 'connection', message: 'Connection ready',
 * durationMS: 3.2, … }`. Connect is the first connection's set-up; commands are the union of the
 * commands' intervals (several run at once), so the parts do not overlap each other; discovery is
 * the first server selection (the monitor's first `hello`), before any command can start.
 */
function driverTimings(stderr: string): { selectMs: number; connectMs: number; commandMs: number; commands: number } {
  let connectMs: number | undefined;
  let selectionStarted: number | undefined;
  let selectMs: number | undefined;
  const intervals: [number, number][] = [];
  for (const line of stderr.split('\n')) {
    const message = /message: '([^']+)'/.exec(line)?.[1];
    const duration = Number(/durationMS: ([\d.]+)/.exec(line)?.[1] ?? 0);
    const at = Date.parse(/t: (\S+Z)/.exec(line)?.[1] ?? '');
    if (message === 'Connection ready') connectMs ??= duration;
    if (message === 'Server selection started') selectionStarted ??= at;
    if (message === 'Server selection succeeded' && selectionStarted !== undefined) selectMs ??= at - selectionStarted;
    if ((message === 'Command succeeded' || message === 'Command failed') && Number.isFinite(at))
      intervals.push([at - duration, at]);
  }
  return { selectMs: selectMs ?? 0, connectMs: connectMs ?? 0, commandMs: unionLength(intervals), commands: intervals.length };
}

interface FirstResponseRow {
  function: string;
  totalMs: number;
  importMs: number;
  secretsMs: number;
  discoverMs: number;
  connectMs: number;
  commandsMs: number;
  commands: number;
  restMs: number;
}

async function firstResponseReport(bundles: Bundle[]): Promise<FirstResponseRow[]> {
  const byName = new Map(bundles.map((b) => [b.function, b]));
  const bundle = (name: string) =>
    byName.get(name) ??
    (() => {
      throw new Error(`no bundle ${name}`);
    })();
  console.error('Starting the embedded database and the secrets stand-in...');
  const db = await startEmbeddedMongo();
  const keys = await newKeySet();
  const secrets = await startSecretsStandIn({
    [BUNDLE_SECRET_ARNS.databaseUriArn]: db.uri,
    [BUNDLE_SECRET_ARNS.signingKeyArn]: JSON.stringify(keys.privateKey),
    [BUNDLE_SECRET_ARNS.verificationKeysArn]: JSON.stringify(keys.publicKeys),
  });
  const env = {
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(secrets.port),
    AWS_SESSION_TOKEN: 'cold-start-report',
    AWS_LAMBDA_FUNCTION_NAME: 'cold-start-report',
    LOG_LEVEL: 'warn',
    MASTER_DB_NAME: 'cold_start_master',
    TENANT_DB_NAME: 'cold_start_tenants',
  };
  const samples = new Map<string, FirstResponseRow[]>();
  const measure = async (name: string, event: unknown): Promise<Invocation> => {
    secrets.served.length = 0;
    const run = await invokeCold(bundle(name), env, event);
    const { selectMs, connectMs, commandMs, commands } = driverTimings(run.stderr);
    const secretsMs = unionLength(secrets.served.map((s) => [s.arrivedAt, s.answeredAt]));
    const totalMs = run.answeredAt - run.startedAt;
    const importMs = run.importedAt - run.startedAt;
    const row = {
      function: name,
      totalMs,
      importMs,
      secretsMs,
      discoverMs: selectMs,
      connectMs,
      commandsMs: commandMs,
      commands,
      restMs: totalMs - importMs - secretsMs - selectMs - connectMs - commandMs,
    };
    samples.set(name, [...(samples.get(name) ?? []), row]);
    return run;
  };
  try {
    // The deploy-time database setup first, as the stack's trigger runs it (not measured).
    const setup = await invokeCold(bundle('db-setup'), env, {});
    if ((setup.result as { status?: string }).status !== 'done') throw new Error(`db-setup: ${JSON.stringify(setup.result)}`);
    for (let i = 0; i < firstRuns; i++) {
      const name = `Cold Start ${Date.now().toString(36)} ${i}`;
      const email = `admin${i}.${Date.now().toString(36)}@cold.example`;
      const password = 'cold start password';
      const created = await measure(
        'org-create',
        httpEvent({ method: 'POST', path: '/org/create', body: { organization_name: name, email, password } }),
      );
      if (created.result.statusCode !== 201)
        throw new Error(`org-create answered ${created.result.statusCode}: ${created.result.body}`);
      const login = await measure('admin-login', httpEvent({ method: 'POST', path: '/admin/login', body: { email, password } }));
      const token = JSON.parse(login.result.body ?? '{}').access_token as string;
      const decision = await measure('authorizer', authorizerEvent(`Bearer ${token}`));
      if (!decision.result.isAuthorized) throw new Error('the authorizer denied a fresh token');
      const caller = decision.result.context as unknown as TestCaller;
      await measure('org-get', httpEvent({ method: 'GET', path: '/org/get', query: { organization_name: name } }));
      await measure('records-create', httpEvent({ method: 'POST', path: '/org/records', body: { kind: 'note', n: i }, caller }));
      await measure('openapi', httpEvent({ method: 'GET', path: '/openapi.json' }));
    }
  } finally {
    await secrets.close();
    await db.stop();
  }
  const rows = [...samples.entries()].map(([fn, list]) => {
    const m = (key: keyof FirstResponseRow) => round(median(list.map((r) => r[key] as number)));
    return {
      function: fn,
      totalMs: m('totalMs'),
      importMs: m('importMs'),
      secretsMs: m('secretsMs'),
      discoverMs: m('discoverMs'),
      connectMs: m('connectMs'),
      commandsMs: m('commandsMs'),
      commands: m('commands'),
      restMs: m('restMs'),
    };
  });
  console.log(
    `\nFirst response of a cold process: median of ${firstRuns}, ms (embedded database, secrets stand-in on localhost)`,
  );
  printTable([
    ['function', 'total', 'import', 'secrets', 'discover', 'connect', 'db commands', '(count)', 'rest'],
    ...rows.map((r) => [
      r.function,
      r.totalMs.toFixed(1),
      r.importMs.toFixed(1),
      r.secretsMs.toFixed(1),
      r.discoverMs.toFixed(1),
      r.connectMs.toFixed(1),
      r.commandsMs.toFixed(1),
      String(r.commands),
      r.restMs.toFixed(1),
    ]),
  ]);
  return rows;
}

const outdir = mkdtempSync(join(tmpdir(), 'orgs-bundle-report-'));
try {
  console.error(`Bundling (stage ${values.stage})...`);
  const bundles = bundleFunctions(outdir, values.stage);
  const before = values.before ? await bundlesAt(values.before, outdir) : undefined;
  let imports: Awaited<ReturnType<typeof importReport>>;
  try {
    imports = await importReport(bundles, outdir, before?.bundles);
  } finally {
    before?.cleanUp();
  }
  const holdings = await holdingsReport(bundles);
  const firstResponse = values['imports-only'] ? undefined : await firstResponseReport(bundles);
  console.log(`\nNode ${process.versions.node} on ${process.platform}/${process.arch}`);
  if (values.json) {
    // baselineMs and functions[] are what `npm run bench` reads (bin/bench/cold-start.ts).
    const functions = imports.rows
      .filter((r) => r.target !== undefined)
      .map((r) => ({ function: r.name, bytes: r.bytes, importMsMedian: r.processMs }));
    const report = {
      runs,
      node: process.versions.node,
      baselineMs: imports.baselineMs,
      functions,
      imports,
      holdings,
      firstResponse,
    };
    writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.error(`Wrote ${values.json}`);
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
