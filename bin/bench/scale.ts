import type { BcryptProbe } from './bcrypt-probe.ts';
import type { Pools, RouteCase } from './cases.ts';
import type { BenchEnv } from './env.ts';
import { type HandlerRow, measureCase } from './handlers.ts';
import type { Seeder } from './seed.ts';
import { ratio, round } from './stats.ts';

/**
 * Scale: the read and write routes (handler and baseline) with more and more organizations in the
 * database, each with its own collection (collection mode, the service's placement).
 * The database grows from one point to the next; calls pick organizations spread over all of them.
 */

export interface ScalePoint {
  readonly requested: number;
  readonly orgs: number;
  /** Seconds spent seeding up to this point (from the previous one). */
  readonly seedSeconds: number;
  readonly rows: HandlerRow[];
}

export interface ScaleRatio {
  readonly route: string;
  readonly fromOrgs: number;
  readonly toOrgs: number;
  /** p50 at the largest point / p50 at the smallest, for the handler (bcrypt-free) and the baseline. */
  readonly handlerP50Ratio: number;
  readonly baselineP50Ratio: number;
}

export interface ScaleResult {
  readonly mode: 'collection';
  readonly iterations: number;
  readonly budgetSeconds: number;
  readonly points: ScalePoint[];
  readonly ratios: ScaleRatio[];
  /** Why a requested count was not reached, when it was not. */
  readonly limited?: string;
  readonly notes: string[];
}

export interface ScaleOptions {
  readonly counts: readonly number[];
  readonly iterations: number;
  readonly budgetSeconds: number;
}

export async function runScale(
  env: BenchEnv,
  probe: BcryptProbe,
  seeder: Seeder,
  cases: readonly RouteCase[],
  options: ScaleOptions,
): Promise<ScaleResult> {
  const deadline = options.budgetSeconds > 0 ? performance.now() + options.budgetSeconds * 1000 : Number.POSITIVE_INFINITY;
  const notes: string[] = [];
  const points: ScalePoint[] = [];
  let limited: string | undefined;

  for (const requested of options.counts) {
    if (requested < seeder.orgs.length) {
      notes.push(`${requested} organizations requested, but the database already held ${seeder.orgs.length}.`);
    }
    const grown = await seeder.growTo(requested, deadline);
    if (grown.stoppedByBudget) {
      const lastMs = round(grown.lastMsPerCollection, 1);
      limited =
        `${requested} organizations were impractical on ${env.server.label}: seeding stopped when the ` +
        `${options.budgetSeconds} s budget ran out, at ${grown.reached} (creating one collection took ${lastMs} ms ` +
        `and grows with the count); measured at ${grown.reached} instead. --scale-budget 0 seeds them all.`;
    }
    const pools: Pools = { readers: seeder.orgs, writers: seeder.orgs };
    const rows: HandlerRow[] = [];
    for (const c of cases) rows.push(await measureCase(env, probe, c, pools, options.iterations, 2));
    points.push({ requested, orgs: seeder.orgs.length, seedSeconds: round(grown.seconds, 1), rows });
    if (limited) break;
  }

  const first = points[0];
  const last = points.at(-1);
  const ratios: ScaleRatio[] = [];
  if (first && last && last !== first) {
    for (const row of last.rows) {
      const before = first.rows.find((r) => r.route === row.route);
      if (!before) continue;
      ratios.push({
        route: row.route,
        fromOrgs: first.orgs,
        toOrgs: last.orgs,
        handlerP50Ratio: ratio(row.measured.p50, before.measured.p50),
        baselineP50Ratio: ratio(row.baseline.p50, before.baseline.p50),
      });
    }
  }
  if (env.server.kind === 'ferretdb') {
    notes.push(
      'FerretDB on SQLite pushes only _id filters down and scans for the rest: a lookup by slug and an update ' +
        'filtered by _id and status read the whole organizations collection, so both sides grow with the count ' +
        'here. On MongoDB those use the slug and _id indexes.',
    );
  }
  return {
    mode: 'collection',
    iterations: options.iterations,
    budgetSeconds: options.budgetSeconds,
    points,
    ratios,
    ...(limited ? { limited } : {}),
    notes,
  };
}
