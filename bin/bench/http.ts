import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type Pools, pick } from './cases.ts';
import { type BenchEnv, root } from './env.ts';
import { ratio, round, type Summary, summarize } from './stats.ts';

/**
 * Through HTTP: the local API (`npm start`: gateway, authorizer, handlers) as its own process under
 * load from autocannon, against a bare node:http server doing the same database work with the
 * driver, at each concurrency. Every request must answer 2xx: reads ask for existing organizations,
 * writes create a record in the organization's own collection (the records API).
 */

export type LoadRoute = 'read' | 'write';

export interface LoadFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly latency: Summary;
  readonly non2xx: number;
  /** Answers by status code. */
  readonly statuses: Record<string, number>;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** Rounds that hit their time limit with requests unanswered (their answers are missing). */
  readonly cutShortRounds: number;
  /**
   * The server process's CPU time (user and system) per answered request over the measured rounds,
   * ms: unlike requests per second, it does not depend on how busy the rest of the machine is.
   */
  readonly cpuMsPerRequest: number;
}

export interface LoadRow {
  readonly route: string;
  readonly concurrency: number;
  readonly api: LoadFigures;
  readonly baseline: LoadFigures;
  /** api rps / baseline rps. */
  readonly rpsRatio: number;
}

export interface HttpResult {
  /** About this many seconds of load per side and row. */
  readonly secondsPerSide: number;
  /** The local API's authorizer result cache, seconds. */
  readonly authorizerCacheSeconds: number;
  readonly maxRequestsPerSide: number;
  readonly rows: LoadRow[];
}

interface Server {
  readonly url: string;
  /** CPU milliseconds (user and system) the server's process has used so far; NaN where unknown. */
  cpuMs(): number;
  /** Throws with the server's last output if it has exited. */
  assertRunning(): Promise<void>;
  stop(): Promise<void>;
}

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** A process's user plus system CPU time in ms, from /proc (Linux); NaN elsewhere or once it is gone. */
function processCpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (in parentheses, which may hold spaces): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts a server script as its own process. Its output goes to a file rather than a pipe: the
 * local API writes a line per request, and a pipe would make the bench wake up to read each one.
 */
export async function startServer(
  script: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  nodeOptions: string[] = [],
): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'orgs-bench-server-'));
  const logFile = join(dir, 'output.log');
  const log = await open(logFile, 'w');
  const child: ChildProcess = spawn(process.execPath, [...nodeOptions, script], {
    cwd: root,
    env,
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close(); // the child holds its own copy
  const orphan = () => child.kill('SIGTERM'); // the bench exits on an error or a signal: take the server along
  process.once('exit', orphan);
  const output = async () => (await readFile(logFile, 'utf8').catch(() => '')).slice(-4_000);

  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited:\n${await output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`${script} did not start within 30 s:\n${await output()}`);
    }
    url = ready.exec(await output())?.[1];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    cpuMs: () => processCpuMs(child.pid),
    async assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${script} exited (${child.exitCode ?? child.signalCode}) during the load run:\n${await output()}`);
      }
    },
    async stop() {
      process.off('exit', orphan);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface LoadPlan {
  readonly url: string;
  readonly route: LoadRoute;
  readonly connections: number;
  readonly pools: Pools;
  readonly tokens: ReadonlyMap<string, string>;
  /** A measured round: this many requests, every one answered before the round ends... */
  readonly amount?: number;
  /** ...within this many seconds at most; without `amount`, a warm-up of this length. */
  readonly seconds: number;
}

let requestCount = 0;

function requestFor(plan: LoadPlan): autocannon.Request {
  if (plan.route === 'read') {
    return {
      method: 'GET',
      path: '/org/get',
      setupRequest: (req) => {
        const org = pick(plan.pools.readers, ++requestCount);
        return { ...req, path: `/org/get?organization_name=${encodeURIComponent(org.name)}` };
      },
    };
  }
  return {
    method: 'POST',
    path: '/org/records',
    setupRequest: (req) => {
      // A new record in the organization's own collection: the records API's write, which takes no
      // organization-wide lock (a credential change would also revoke the bench's tokens).
      const n = ++requestCount;
      const org = pick(plan.pools.writers, n);
      return {
        ...req,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.tokens.get(org.adminId)}` },
        body: JSON.stringify({ title: `bench record ${n}`, n, tags: ['bench'] }),
      };
    },
  };
}

interface Tally {
  readonly latencies: number[];
  readonly statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Measured rounds stopped by their time limit before every request was answered. */
  cutShort: number;
  /** From the first request to the last answer. */
  seconds: number;
  /** The server's CPU ms over the measured rounds. */
  cpuMs: number;
}

const emptyTally = (): Tally => ({
  latencies: [],
  statuses: {},
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  cutShort: 0,
  seconds: 0,
  cpuMs: 0,
});

/**
 * One load run, added to `tally`. A measured round sends `amount` requests and waits for every
 * answer, so slow answers count as fully as fast ones; a warm-up just runs for `seconds`.
 */
function load(plan: LoadPlan, tally: Tally = emptyTally()): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // autocannon notices the end on its own tick; the last answer marks the real end.
    let lastAnswer = started;
    let limit: NodeJS.Timeout | undefined;
    const instance = autocannon(
      {
        url: plan.url,
        connections: plan.connections,
        // Split over the connections; each needs at least one, or it would have no bound.
        ...(plan.amount === undefined ? { duration: plan.seconds } : { amount: Math.max(plan.amount, plan.connections) }),
        timeout: 10,
        sampleInt: 100, // how often autocannon checks whether the run is over
        requests: [requestFor(plan)],
      },
      (error, result) => {
        clearTimeout(limit);
        if (error) return reject(error);
        tally.errors += result.errors;
        tally.timeouts += result.timeouts;
        tally.seconds += (lastAnswer - started) / 1000;
        resolve(tally);
      },
    );
    if (plan.amount !== undefined) {
      limit = setTimeout(() => {
        tally.cutShort += 1;
        instance.stop();
      }, plan.seconds * 1000);
    }
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastAnswer = performance.now();
      tally.statuses[statusCode] = (tally.statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) tally.latencies.push(responseTime);
      else tally.non2xx += 1;
    });
  });
}

/**
 * Waits until the server has answered everything a finished run left in flight: a run ends on a
 * clock, and the server goes on with the requests it had accepted. One more request waits behind
 * them in the database pool's queue, so its answer means the backlog is gone and the next run
 * starts on an idle server.
 */
async function settle(server: Server, pools: Pools): Promise<void> {
  const org = pick(pools.readers, 0);
  try {
    const response = await fetch(`${server.url}/org/get?organization_name=${encodeURIComponent(org.name)}`, {
      signal: AbortSignal.timeout(60_000),
    });
    await response.arrayBuffer();
  } finally {
    await server.assertRunning(); // a server that died says why, rather than the refused connection
  }
}

function figures(t: Tally): LoadFigures {
  const requests = t.latencies.length + t.non2xx;
  return {
    requests,
    seconds: round(t.seconds, 2),
    rps: round(requests / t.seconds, 0),
    latency: summarize(t.latencies),
    non2xx: t.non2xx,
    statuses: t.statuses,
    errors: t.errors,
    timeouts: t.timeouts,
    cutShortRounds: t.cutShort,
    cpuMsPerRequest: round(t.cpuMs / requests, 2),
  };
}

export interface HttpOptions {
  readonly concurrency: readonly number[];
  /**
   * About this many seconds per side and row, in rounds of about a second that alternate between
   * the sides; each round's size comes from the warm-up's rate.
   */
  readonly seconds: number;
  readonly maxRequests: number;
  /** A folder for a CPU profile of each server (`--cpu-prof`), named after it. */
  readonly profileDir?: string;
  /** The local API's authorizer result cache (API Gateway's `resultsCacheTtl`), seconds. */
  readonly authorizerCacheSeconds: number;
}

export async function runHttp(env: BenchEnv, pools: Pools, options: HttpOptions): Promise<HttpResult> {
  const tokens = new Map<string, string>();
  for (const org of pools.writers) tokens.set(org.adminId, await env.token({ adminId: org.adminId, orgId: org.orgId }));

  const profile = (name: string) =>
    options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const api = await startServer(
    join('bin', 'local-api.ts'),
    env.childEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      LOCAL_API_AUTHORIZER_CACHE_SECONDS: String(options.authorizerCacheSeconds),
      // The lines as Lambda writes them for CloudWatch (JSON), not reformatted for a terminal.
      LOCAL_LOG_FORMAT: 'json',
      // The dispatcher and the job sweep are other functions in AWS, not in the API's containers: the
      // local API's timers for them are set past the run, so only requests use its process.
      DISPATCH_INTERVAL_MS: String(3_600_000),
      JOB_SWEEP_INTERVAL_MS: String(3_600_000),
    }),
    /Local API listening on (http:\/\/\S+)/,
    profile('local-api'),
  );
  let baseline: Server | undefined;
  try {
    baseline = await startServer(
      join('bin', 'bench', 'bare-server.ts'),
      env.childEnv({ PORT: '0' }),
      /listening on (http:\/\/\S+)/,
      profile('bare-server'),
    );
    const servers = [api, baseline];
    const rounds = Math.max(1, Math.round(options.seconds));
    const rows: LoadRow[] = [];
    for (const route of ['read', 'write'] as const) {
      for (const connections of options.concurrency) {
        const plan = (server: Server, run: { amount?: number; seconds: number }): LoadPlan => ({
          url: server.url,
          route,
          connections,
          pools,
          tokens,
          ...run,
        });
        // Warm-up (connections, JIT, the database pool), which also sizes the rounds.
        let rate = 0;
        for (const server of servers) {
          const warm = await load(plan(server, { seconds: Math.min(0.5, options.seconds / 4) }));
          rate += (warm.latencies.length + warm.non2xx) / Math.max(warm.seconds, 0.001) / servers.length;
          // Every writer's token once more (there are 4 per connection): API Gateway's authorizer
          // cache holds each one for its TTL in a steady state, so a token's first use, which runs the
          // authorizer, belongs to the warm-up and not to the measured rounds.
          if (route === 'write') await load(plan(server, { amount: pools.writers.length, seconds: 60 }));
          await settle(server, pools);
        }
        const roundSeconds = options.seconds / rounds;
        const perRoundCap = Math.max(connections, Math.ceil(options.maxRequests / rounds));
        const amount = Math.min(perRoundCap, Math.max(connections * 2, Math.round(rate * roundSeconds)));
        const tallies = new Map(servers.map((server) => [server, emptyTally()]));
        for (let r = 0; r < rounds; r++) {
          // A, B, B, A, ...: a drift in the machine's load falls on both sides alike.
          for (const server of r % 2 === 0 ? servers : [...servers].reverse()) {
            const tally = tallies.get(server);
            const cpuBefore = server.cpuMs();
            await load(plan(server, { amount, seconds: Math.max(15, roundSeconds * 10) }), tally);
            await settle(server, pools);
            if (tally) tally.cpuMs += server.cpuMs() - cpuBefore;
          }
        }
        const a = figures(tallies.get(api)!);
        const b = figures(tallies.get(baseline)!);
        rows.push({
          route: route === 'read' ? 'GET /org/get' : 'POST /org/records',
          concurrency: connections,
          api: a,
          baseline: b,
          rpsRatio: ratio(a.rps, b.rps),
        });
      }
    }
    return {
      secondsPerSide: options.seconds,
      authorizerCacheSeconds: options.authorizerCacheSeconds,
      maxRequestsPerSide: options.maxRequests,
      rows,
    };
  } finally {
    await baseline?.stop();
    await api.stop();
  }
}
