import { httpEvent } from '../../test/support/events.ts';
import type { BcryptProbe } from './bcrypt-probe.ts';
import type { Pools, RouteCase } from './cases.ts';
import type { DbTimer } from './db-time.ts';
import type { BenchEnv } from './env.ts';
import type { SeededOrg } from './seed.ts';
import { difference, ratio, type Summary, summarize } from './stats.ts';

/**
 * Handler overhead: warm, in-process calls of the real handler with the event API Gateway (and the
 * local API) builds, against the driver alone doing the same database work. Calls alternate between
 * the two sides so that noise from other processes falls on both alike.
 */

export interface Call {
  readonly status: number;
  readonly body: string;
  /** Wall time of the handler call. */
  readonly ms: number;
  /** Of which inside bcrypt. */
  readonly bcryptMs: number;
  /** Of which in database commands, and of those on the master database (with a DbTimer; else 0). */
  readonly dbMs: number;
  readonly masterDbMs: number;
}

export interface Invocation {
  readonly org: SeededOrg;
  readonly query?: Record<string, string>;
  readonly params?: Record<string, string>;
  readonly body?: unknown;
}

/** One call of a route's real handler, as the local API would make it. */
export async function invokeRoute(
  env: BenchEnv,
  probe: BcryptProbe,
  key: string,
  request: Invocation,
  dbTimer?: DbTimer,
): Promise<Call> {
  const route = env.route(key);
  const handler = await env.load(route.function);
  const jwt = route.auth === 'jwt';
  const identity = { adminId: request.org.adminId, orgId: request.org.orgId };
  const caller = jwt ? await env.authorize(identity) : undefined;
  const params = request.params;
  const event = httpEvent({
    method: route.method,
    path: params ? route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '') : route.path,
    ...(request.query ? { query: request.query } : {}),
    ...(params ? { params } : {}),
    ...(request.body !== undefined ? { body: request.body } : {}),
    ...(jwt ? { headers: { authorization: `Bearer ${await env.token(identity)}` }, caller } : {}),
  });
  const context = env.context(route.function);
  probe.take();
  dbTimer?.take();
  const started = performance.now();
  const result = (await handler(event, context)) as { statusCode?: number; body?: string };
  const ms = performance.now() - started;
  const db = dbTimer?.take();
  return {
    status: result.statusCode ?? 200,
    body: result.body ?? '',
    ms,
    bcryptMs: probe.take(),
    dbMs: db?.ms ?? 0,
    masterDbMs: db?.masterMs ?? 0,
  };
}

export interface HandlerRow {
  readonly route: string;
  readonly function: string;
  readonly note: string;
  /** The handler call, bcrypt included. */
  readonly handler: Summary;
  /** Time inside bcrypt per call (login only). */
  readonly bcrypt?: Summary;
  /** The handler call without its bcrypt time: what is compared with the baseline (also bcrypt-free). */
  readonly measured: Summary;
  readonly baseline: Summary;
  /** measured minus baseline. */
  readonly overheadMs: { p50: number; p95: number; p99: number };
  /** measured p50 / baseline p50. */
  readonly ratioP50: number;
  /**
   * Time in database commands per handler call, and its share of the measured (bcrypt-free) time:
   * the sum over calls of one over the sum of the other. Only with a DbTimer.
   */
  readonly db?: Summary;
  readonly dbShare?: number;
  /** The share of the measured time in commands on the master database (organizations, admins, ...). */
  readonly masterDbShare?: number;
}

export async function measureCase(
  env: BenchEnv,
  probe: BcryptProbe,
  c: RouteCase,
  pools: Pools,
  iterations: number,
  warmup: number,
  dbTimer?: DbTimer,
): Promise<HandlerRow> {
  const route = env.route(c.route);
  const handler: number[] = [];
  const bcrypt: number[] = [];
  const db: number[] = [];
  const masterDb: number[] = [];
  const baseline: number[] = [];

  const callHandler = async (i: number, record: boolean) => {
    const request = c.request(pools, i);
    const call = await invokeRoute(env, probe, c.route, request, dbTimer);
    if (call.status !== c.status) {
      throw new Error(`${c.route} answered ${call.status} (expected ${c.status}): ${call.body.slice(0, 300)}`);
    }
    request.after?.();
    if (record) {
      handler.push(call.ms);
      bcrypt.push(call.bcryptMs);
      db.push(call.dbMs);
      masterDb.push(call.masterDbMs);
    }
  };
  const callBaseline = async (i: number, record: boolean) => {
    probe.take();
    const started = performance.now();
    await c.baseline(env.raw, pools, i);
    const ms = performance.now() - started;
    if (record) baseline.push(ms - probe.take());
  };

  for (let i = 0; i < warmup + iterations; i++) {
    const record = i >= warmup;
    if (i % 2 === 0) {
      await callHandler(i, record);
      await callBaseline(i, record);
    } else {
      await callBaseline(i, record);
      await callHandler(i, record);
    }
  }

  const bcryptFree = handler.map((ms, k) => ms - (bcrypt[k] ?? 0));
  const measured = summarize(bcryptFree);
  const base = summarize(baseline);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    route: c.route,
    function: route.function,
    note: c.note,
    handler: summarize(handler),
    ...(c.bcrypt ? { bcrypt: summarize(bcrypt) } : {}),
    measured,
    baseline: base,
    overheadMs: difference(measured, base),
    ratioP50: ratio(measured.p50, base.p50),
    ...(dbTimer
      ? { db: summarize(db), dbShare: ratio(sum(db), sum(bcryptFree)), masterDbShare: ratio(sum(masterDb), sum(bcryptFree)) }
      : {}),
  };
}

export interface HandlersResult {
  readonly iterations: number;
  readonly loginIterations: number;
  readonly rows: HandlerRow[];
}

export async function runHandlers(
  env: BenchEnv,
  probe: BcryptProbe,
  cases: readonly RouteCase[],
  pools: Pools,
  options: { iterations: number; loginIterations: number },
): Promise<HandlersResult> {
  const rows: HandlerRow[] = [];
  for (const c of cases) {
    const n = c.bcrypt ? options.loginIterations : options.iterations;
    rows.push(await measureCase(env, probe, c, pools, n, Math.min(20, Math.max(2, Math.ceil(n / 5)))));
  }
  return { iterations: options.iterations, loginIterations: options.loginIterations, rows };
}
