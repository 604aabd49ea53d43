#!/usr/bin/env node
/**
 * `npm run bench`: what a caller of the service pays, each figure next to a baseline measured in
 * the same run (the machine is shared, so the ratio is the figure that counts). Prints a table and
 * writes the same figures as JSON. `npm run bench -- --help` lists the options; BENCHMARKS.md says
 * what each figure means.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { orgsConfig } from '#core/config.ts';
import { runAuthorizer } from './bench/authorizer.ts';
import { installBcryptProbe } from './bench/bcrypt-probe.ts';
import { type Pools, routeCases, scaleCases } from './bench/cases.ts';
import { runColdStart } from './bench/cold-start.ts';
import { DbTimer } from './bench/db-time.ts';
import { createBenchEnv } from './bench/env.ts';
import { runHandlers } from './bench/handlers.ts';
import { runHttp } from './bench/http.ts';
import { runLogin } from './bench/login.ts';
import { runNoisy } from './bench/noisy.ts';
import { type BenchOptions, parseOptions, USAGE } from './bench/options.ts';
import { type BenchResult, renderReport } from './bench/report.ts';
import { runScale } from './bench/scale.ts';
import { Seeder } from './bench/seed.ts';
import { round } from './bench/stats.ts';

/** Organizations every part only reads. */
const READER_ORGS = 5;

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const opts = options;
try {
  orgsConfig({ ...process.env, BCRYPT_COST: String(opts.bcryptCost) }); // fail before starting anything
} catch (error) {
  console.error(`--bcrypt-cost: ${(error as Error).message}`);
  process.exit(2);
}
const args = process.argv.slice(2).join(' ');
const command =
  process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args ? ` -- ${args}` : ''}` : `node bin/bench.ts ${args}`;
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const startedAt = new Date();
const started = performance.now();
const loadStart = round(loadavg()[0] ?? 0, 2);

// The scale part counts the handlers' time in database commands: their client reports its commands.
const env = await createBenchEnv({ bcryptCost: opts.bcryptCost, monitorCommands: opts.parts.includes('scale') });
progress(`server: ${env.server.label}; databases ${env.masterDb}, ${env.tenantDb}`);
let closing: Promise<void> | undefined;
const close = () => {
  closing ??= env.close();
  return closing;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void close().finally(() => process.exit(130));
  });
}

const parts: { -readonly [K in Exclude<keyof BenchResult, 'meta'>]?: BenchResult[K] } = {};
try {
  const probe = installBcryptProbe();
  const seeder = await Seeder.start(env);
  // Writers outnumber the HTTP connections several times over, spreading the load across organizations
  // (two updates of one organization at once: the second is 409 operation_in_progress, by design).
  const writerOrgs = Math.max(5, 4 * Math.max(...opts.concurrency));
  const has = (part: string) => opts.parts.some((p) => p === part);
  // The scale part seeds its own; alone, it starts from the one organization the create handler made.
  if (['handlers', 'http', 'noisy', 'login', 'authorizer'].some(has)) await seeder.growTo(READER_ORGS + writerOrgs);
  const pools: Pools = {
    readers: seeder.orgs.slice(0, READER_ORGS),
    writers: seeder.orgs.slice(READER_ORGS, READER_ORGS + writerOrgs),
  };

  if (has('handlers')) {
    progress('handler overhead');
    parts.handlers = await runHandlers(env, probe, routeCases, pools, opts);
  }
  if (has('http')) {
    progress('HTTP load');
    parts.http = await runHttp(env, pools, {
      concurrency: opts.concurrency,
      seconds: opts.httpSeconds,
      maxRequests: opts.httpRequests,
      authorizerCacheSeconds: opts.httpAuthorizerCache,
      ...(opts.profile ? { profileDir: resolve(opts.profile) } : {}),
    });
  }
  if (has('noisy')) {
    progress(`noisy neighbour: ${opts.noisyRate}/s beside ${opts.quietRate}/s`);
    const [quiet, noisy] = pools.readers;
    if (quiet && noisy) {
      parts.noisy = await runNoisy(env, quiet, noisy, {
        seconds: opts.noisySeconds,
        quietRate: opts.quietRate,
        noisyRate: opts.noisyRate,
        authorizerCacheSeconds: opts.httpAuthorizerCache,
      });
    }
  }
  if (has('login')) {
    progress(`login at bcrypt cost ${opts.bcryptCost}`);
    parts.login = await runLogin(env, probe, pools.readers, opts.loginIterations);
  }
  if (has('authorizer')) {
    progress('authorizer');
    const org = pools.readers[0];
    if (org) parts.authorizer = await runAuthorizer(env, org, opts.authorizerIterations);
  }
  if (has('coldstart')) {
    progress('cold start');
    parts.coldStart = await runColdStart(opts.bundleReport);
  }
  if (has('scale')) {
    progress(`scale: ${opts.orgs.join(', ')} organizations per mode (${opts.modes.join(', ')})`);
    const { databaseConfig } = await import('#core/config.ts');
    const { getMongoClient } = await import('#core/mongo/client.ts');
    const dbTimer = new DbTimer(env.masterDb);
    dbTimer.watch(await getMongoClient(databaseConfig()));
    parts.scale = await runScale(
      env,
      probe,
      seeder,
      scaleCases,
      {
        counts: opts.orgs,
        modes: opts.modes,
        iterations: opts.scaleIterations,
        budgetSeconds: opts.scaleBudget,
        parallel: opts.scaleParallel,
        progress,
      },
      dbTimer,
    );
    dbTimer.stop();
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  await close();
  process.exit(1);
}
await close();

const cpu = cpus()[0];
const result: BenchResult = {
  meta: {
    startedAt: startedAt.toISOString(),
    seconds: round((performance.now() - started) / 1000, 1),
    command,
    server: env.server,
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpu?.model.trim() ?? 'unknown',
      memoryGiB: round(totalmem() / 1024 ** 3, 1),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage: { start: loadStart, end: round(loadavg()[0] ?? 0, 2) },
    },
    options: opts,
  },
  ...parts,
};
const out = resolve(opts.json);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(renderReport(result));
console.log(`\nFigures written to ${out}`);
process.exit(0);
