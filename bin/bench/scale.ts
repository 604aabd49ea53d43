import type { PlacementMode } from '#core/orgs/model.ts';
import type { BcryptProbe } from './bcrypt-probe.ts';
import type { Pools, RouteCase } from './cases.ts';
import type { DbTimer } from './db-time.ts';
import type { BenchEnv } from './env.ts';
import { type HandlerRow, measureCase } from './handlers.ts';
import { RECORDS_PER_ORG, type Seeder } from './seed.ts';
import { ratio, round } from './stats.ts';

/**
 * Scale: routes (handler and baseline, alternating) as the database holds more and more
 * organizations, in each placement mode: every organization has its master documents and its own
 * place (a collection in the tenant database, or a database of its own) holding a few records. The
 * modes live side by side in one deployment and grow together, each to the count of the point; calls
 * pick organizations spread over all of their mode's.
 */

/** The most the largest point's p50 may be over the smallest's: 10,000 organizations within 1.2x of 100. */
export const SCALE_TARGET_RATIO = 1.2;

export interface ScalePoint {
  readonly mode: PlacementMode;
  readonly requested: number;
  /** Organizations of this mode when it was measured. */
  readonly orgs: number;
  /** Seconds spent seeding this mode up to this point (from the previous one). */
  readonly seedSeconds: number;
  /** Wall milliseconds per place created (with its index and records) in the last seeding batch. */
  readonly msPerPlace: number;
  readonly rows: HandlerRow[];
}

export interface ScaleRatio {
  readonly mode: PlacementMode;
  readonly route: string;
  readonly fromOrgs: number;
  readonly toOrgs: number;
  /** p50 at the largest point / p50 at the smallest, for the handler (bcrypt-free) and the baseline. */
  readonly handlerP50Ratio: number;
  readonly baselineP50Ratio: number;
  /** handlerP50Ratio <= SCALE_TARGET_RATIO. */
  readonly withinTarget: boolean;
}

export interface ScaleResult {
  readonly modes: readonly PlacementMode[];
  readonly iterations: number;
  readonly budgetSeconds: number;
  readonly recordsPerOrg: number;
  readonly targetRatio: number;
  readonly points: ScalePoint[];
  readonly ratios: ScaleRatio[];
  /** Seconds of seeding in all, every mode and point. */
  readonly seedSeconds: number;
  /** Why a requested count was not reached, when it was not. */
  readonly limited?: string;
  readonly notes: string[];
}

export interface ScaleOptions {
  readonly counts: readonly number[];
  readonly modes: readonly PlacementMode[];
  readonly iterations: number;
  readonly budgetSeconds: number;
  /** Places created at once while seeding. */
  readonly parallel: number;
  /** Told what the part is doing (a line at a time). */
  readonly progress?: (line: string) => void;
}

/**
 * Seeds each mode to each count in turn and measures `cases` there (`options.iterations` calls per
 * route and side). With `dbTimer` watching the handlers' client, each row also has the time in
 * database commands. Stops growing when the seeding budget runs out, measuring where it got to.
 */
export async function runScale(
  env: BenchEnv,
  probe: BcryptProbe,
  seeder: Seeder,
  cases: readonly RouteCase[],
  options: ScaleOptions,
  dbTimer?: DbTimer,
): Promise<ScaleResult> {
  const deadline = options.budgetSeconds > 0 ? performance.now() + options.budgetSeconds * 1000 : Number.POSITIVE_INFINITY;
  const notes: string[] = [];
  const points: ScalePoint[] = [];
  let seedSeconds = 0;
  let limited: string | undefined;

  for (const requested of options.counts) {
    const grown = new Map<PlacementMode, { seconds: number; msPerPlace: number }>();
    for (const mode of options.modes) {
      const have = seeder.of(mode).length;
      if (requested < have) notes.push(`${mode} mode: ${requested} organizations requested, but it already had ${have}.`);
      const result = await seeder.growTo(requested, { mode, deadline, parallel: options.parallel });
      seedSeconds += result.seconds;
      options.progress?.(`scale: ${mode} mode seeded to ${result.reached} in ${round(result.seconds, 1)} s`);
      grown.set(mode, { seconds: round(result.seconds, 1), msPerPlace: round(result.lastMsPerPlace, 1) });
      if (result.stoppedByBudget && !limited) {
        limited =
          `${requested} organizations per mode were impractical on ${env.server.label}: seeding stopped when the ` +
          `${options.budgetSeconds} s budget ran out, at ${result.reached} in ${mode} mode (a place took ` +
          `${round(result.lastMsPerPlace, 1)} ms); measured there instead. --scale-budget 0 seeds them all.`;
      }
    }
    for (const mode of options.modes) {
      const orgs = seeder.of(mode);
      // A mode the budget stopped before it grew is not measured again at the same count.
      if (points.some((p) => p.mode === mode && p.orgs === orgs.length)) continue;
      const pools: Pools = { readers: orgs, writers: orgs };
      const rows: HandlerRow[] = [];
      for (const c of cases) rows.push(await measureCase(env, probe, c, pools, options.iterations, 2, dbTimer));
      options.progress?.(`scale: ${mode} mode measured at ${orgs.length}`);
      const seeded = grown.get(mode);
      points.push({
        mode,
        requested,
        orgs: orgs.length,
        seedSeconds: seeded?.seconds ?? 0,
        msPerPlace: seeded?.msPerPlace ?? Number.NaN,
        rows,
      });
    }
    if (limited) break;
  }

  const ratios: ScaleRatio[] = [];
  for (const mode of options.modes) {
    const own = points.filter((p) => p.mode === mode);
    const first = own[0];
    const last = own.at(-1);
    if (!first || !last || first === last) continue;
    for (const row of last.rows) {
      const before = first.rows.find((r) => r.route === row.route);
      if (!before) continue;
      const handlerP50Ratio = ratio(row.measured.p50, before.measured.p50);
      ratios.push({
        mode,
        route: row.route,
        fromOrgs: first.orgs,
        toOrgs: last.orgs,
        handlerP50Ratio,
        baselineP50Ratio: ratio(row.baseline.p50, before.baseline.p50),
        withinTarget: handlerP50Ratio <= SCALE_TARGET_RATIO,
      });
    }
  }
  if (options.modes.length > 1) {
    notes.push(
      'The modes share one master database: at each point its organizations, admins and name claims hold every ' +
        "mode's organizations (twice the point's count with both modes), plus the bench's own.",
    );
  }
  if (env.server.kind === 'ferretdb') notes.push(ferretNote(env));
  return {
    modes: options.modes,
    iterations: options.iterations,
    budgetSeconds: options.budgetSeconds,
    recordsPerOrg: RECORDS_PER_ORG,
    targetRatio: SCALE_TARGET_RATIO,
    points,
    ratios,
    seedSeconds: round(seedSeconds, 1),
    ...(limited ? { limited } : {}),
    notes,
  };
}

/** How FerretDB answers the look-ups, by backend: what the figures can and cannot say. */
function ferretNote(env: BenchEnv): string {
  if (env.server.backend === 'postgresql') {
    if (process.env.EMBEDDED_PG_LOOKUP_INDEXES === '0' || !env.server.embedded) {
      return (
        'FerretDB 1.24 on PostgreSQL pushes equality filters down to SQL, but its condition (_jsonb -> field @> value) ' +
        "cannot use the btree indexes it creates: without the embedded cluster's GIN twins every look-up is a " +
        'sequential scan of the master collection, so every route here grows with the count. On MongoDB those use ' +
        'the _id, slug and email indexes.'
      );
    }
    return (
      "Equality look-ups (_id, slug, email, a membership's user) are index scans here, on the embedded cluster's GIN " +
      "twins of FerretDB's indexes (bin/embedded-db/lookup-indexes.sql), as they are index look-ups on MongoDB. " +
      'What still grows with the count is the server: FerretDB reads the whole collection for $in, and in collection ' +
      "mode each organization's table shares one schema with thousands of others."
    );
  }
  return (
    'FerretDB on SQLite pushes only _id filters down and scans for the rest: a look-up by slug or email reads the ' +
    'whole organizations or admins collection, so those routes grow with the count here. On MongoDB they use the ' +
    'slug and email indexes.'
  );
}
