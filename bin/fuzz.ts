#!/usr/bin/env node
/**
 * `npm run fuzz`: Schemathesis against the local API, driven by the API's own document
 * (`GET /openapi.json`), with every check. It starts the local API on a free port over an embedded
 * database of its own, runs two passes, stops the API, and exits non-zero when a pass found anything:
 *
 * - authenticated: every operation; the protected ones carry a token (see `bin/fuzz/hooks.py`);
 * - unauthenticated: the protected operations without a token, or with the random ones Schemathesis
 *   draws, which the gateway must answer 401 and 403 as the document says.
 *
 * Settings and the reasons for each exclusion are in `bin/fuzz/schemathesis.toml` and `hooks.py`.
 * Reports, the API's log and Schemathesis' replay files go to `test-results/fuzz/`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newKeySet } from '#core/auth/keys.ts';
import { type FuzzOptions, parseOptions, USAGE } from './fuzz/options.ts';
import { type PassCounts, passCounts } from './fuzz/report.ts';
import { ensureSchemathesis, SCHEMATHESIS_VERSION } from './fuzz/venv.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'bin', 'fuzz');
const out = join(root, 'test-results', 'fuzz');

interface Pass {
  readonly name: string;
  /** `token`: hooks.py gives protected operations a token; `none`: it gives none. */
  readonly auth: 'token' | 'none';
  readonly args: readonly string[];
}

const PASSES: readonly Pass[] = [
  { name: 'authenticated', auth: 'token', args: [] },
  {
    name: 'unauthenticated',
    auth: 'none',
    // Public operations were fuzzed in the first pass. Every answer here is the gateway's 401 or 403,
    // so Schemathesis' warning that authentication failed is what this pass expects.
    args: ['--exclude-by', '/security == []', '--warnings', 'off'],
  },
];

interface RunningApi {
  readonly url: string;
  stop(): Promise<void>;
}

/** `npm start` as users run it, on a free loopback port, with a database and signing keys of its own. */
async function startApi(logFile: string): Promise<RunningApi> {
  const keys = await newKeySet();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    // The lowest bcrypt cost (allowed in tests only): every case of a route that revokes its token
    // signs up and logs in first, and no rule under test depends on the cost.
    NODE_ENV: 'test',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'warn',
    // A revoked token is refused at once, as the document says it eventually is.
    REVOCATION_CACHE_SECONDS: '0',
    // Thousands of failed logins come from this one address; the per-address lockout would otherwise
    // answer the sign-in the hooks need with 429. Lockout per email stays as configured.
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    JWT_PRIVATE_KEY: JSON.stringify(keys.privateKey),
    JWT_PUBLIC_KEYS: JSON.stringify(keys.publicKeys),
  };
  delete env.MONGODB_URI;
  delete env.MONGODB_SECRET_ID;
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin', 'local-api.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the local API did not start within 60 s (see ${logFile})`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4_000);
      const match = /Local API listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the local API exited with ${code} before it was ready (see ${logFile})`));
    });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** Runs one pass; resolves with its exit code. */
function runPass(bin: string, pass: Pass, api: string, options: FuzzOptions, seed: number): Promise<number> {
  const report = join(out, `${pass.name}.json`);
  const args = [
    '--config-file',
    join(here, 'schemathesis.toml'),
    'run',
    `${api}/openapi.json`,
    '--checks',
    'all',
    // Every check but one: API Gateway HTTP API answers a method a path does not have exactly as it
    // answers an unknown path, 404 {"message":"Not Found"}, never 405 with an Allow header, and the
    // local API does the same. That answer belongs to no operation, so the document cannot list it.
    '--exclude-checks',
    'unsupported_method',
    '--max-examples',
    String(options.examples),
    '--seed',
    String(seed),
    '--workers',
    String(options.workers),
    // Nothing carried over from earlier runs: a run is its seed.
    '--generation-database',
    'none',
    '--report',
    'json',
    '--report-json-path',
    report,
    ...pass.args,
    ...options.extra,
  ];
  console.log(`\n== fuzz: ${pass.name} pass\n`);
  const child = spawn(bin, args, {
    cwd: out,
    stdio: 'inherit',
    env: {
      ...process.env,
      SCHEMATHESIS_HOOKS: join(here, 'hooks.py'),
      FUZZ_API_URL: api,
      FUZZ_AUTH: pass.auth,
    },
  });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function readReport(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let options: FuzzOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const bin = await ensureSchemathesis();
  const logFile = join(out, 'local-api.log');
  const api = await startApi(logFile);
  const stop = () => void api.stop().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`Local API at ${api.url} (log: ${logFile})`);

  const results: (PassCounts & { name: string; exitCode: number })[] = [];
  try {
    for (const pass of PASSES) {
      const exitCode = await runPass(bin, pass, api.url, options, seed);
      results.push({ name: pass.name, exitCode, ...passCounts(await readReport(join(out, `${pass.name}.json`))) });
    }
  } finally {
    await api.stop();
  }

  const failedPasses = results.filter((r) => r.exitCode !== 0 || r.failed > 0);
  const summary = {
    schemathesis: SCHEMATHESIS_VERSION,
    seed,
    examples: options.examples,
    passed: results.reduce((sum, r) => sum + r.passed, 0),
    // A pass that failed without a report still counts as one failure.
    failed: results.reduce((sum, r) => sum + (r.exitCode !== 0 && r.failed === 0 ? 1 : r.failed), 0),
    passes: results,
  };
  await writeFile(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

  console.log(`\n== fuzz: Schemathesis ${SCHEMATHESIS_VERSION}, seed ${seed}, ${options.examples} examples per operation`);
  for (const r of results) {
    console.log(`   ${r.name}: ${r.passed} passed, ${r.failed} failed${r.failing.length ? ` (${r.failing.join('; ')})` : ''}`);
  }
  if (failedPasses.length > 0) {
    console.log(`   Repeat with: npm run fuzz -- --seed ${seed} --examples ${options.examples}`);
    console.log(`   The API's log (errors with their stack): ${logFile}`);
  }
  return failedPasses.length > 0 ? 1 : 0;
}

process.exit(await main());
