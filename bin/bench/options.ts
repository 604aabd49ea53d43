import { parseArgs } from 'node:util';
import type { PlacementMode } from '#core/orgs/model.ts';

/** `npm run bench -- [options]`: what to run and how long. Defaults keep a full run to a few minutes. */

/** The prod stage's API Gateway authorizer cache: revocation bound 60 s less the authorizer's own 5 s (lib/stages.ts). */
export const PROD_AUTHORIZER_CACHE_SECONDS = 55;

export const PARTS = ['handlers', 'http', 'noisy', 'login', 'authorizer', 'coldstart', 'scale'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  readonly parts: readonly Part[];
  /** Measured calls per route and per side (handler, baseline) in the handler part. */
  readonly iterations: number;
  /** Measured calls per kind where bcrypt dominates (login), at the production cost. */
  readonly loginIterations: number;
  readonly bcryptCost: number;
  /** Seconds of one HTTP load run, and the most requests it may send. */
  readonly httpSeconds: number;
  readonly httpRequests: number;
  readonly concurrency: readonly number[];
  /** API Gateway's authorizer result cache in the HTTP part's local API, seconds (prod's by default). */
  readonly httpAuthorizerCache: number;
  /** Seconds per side of the noisy-neighbour part (quiet alone, quiet beside the noise). */
  readonly noisySeconds: number;
  /** Requests per second of the noisy organization (on the free plan: 5 per second). */
  readonly noisyRate: number;
  /** Requests per second of the quiet organization (on the standard plan: 20 per second). */
  readonly quietRate: number;
  /** Token verifications (and authorizer calls) per side. */
  readonly authorizerIterations: number;
  /** Organizations of each placement mode at each scale point. */
  readonly orgs: readonly number[];
  /** The placement modes the scale part seeds and measures. */
  readonly modes: readonly PlacementMode[];
  readonly scaleIterations: number;
  /** Places the scale part creates at once while seeding. */
  readonly scaleParallel: number;
  /** Seconds the scale part may spend seeding; 0 for no limit. */
  readonly scaleBudget: number;
  readonly json: string;
  readonly bundleReport: string;
  /** A folder for CPU profiles of the HTTP part's two servers (Node's --cpu-prof), when set. */
  readonly profile?: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --parts <list>                 ${PARTS.join(',')} (default: all)
  --iterations <n>               calls per route in the handler part (default 200)
  --login-iterations <n>         calls per kind where bcrypt runs (default 15)
  --bcrypt-cost <n>              bcrypt cost of the login figures (default 12, the service default)
  --http-seconds <s>             length of one HTTP load run (default 2)
  --http-requests <n>            most requests of one HTTP load run (default 5000)
  --concurrency <list>           HTTP connections (default 1,10,50)
  --http-authorizer-cache <s>    the local API's authorizer result cache, as API Gateway's (default 55, prod's; 0 = dev's)
  --noisy-seconds <s>            seconds per side of the noisy-neighbour part (default 6)
  --noisy-rate <n>               the noisy organization's requests per second (default 50: 10x its free plan)
  --quiet-rate <n>               the quiet organization's requests per second (default 10: half its standard plan)
  --authorizer-iterations <n>    token verifications per side (default 2000)
  --orgs <list>                  organizations per mode at each scale point (default 100,1000,10000)
  --modes <list>                 placement modes of the scale part (default collection,database)
  --scale-iterations <n>         calls per route, side, mode and scale point (default 20)
  --scale-parallel <n>           places created at once while seeding (default 4)
  --scale-budget <s>             seconds the scale part may spend seeding, 0 = no limit (default 900)
  --json <file>                  where the figures go (default .local/bench-results.json)
  --bundle-report <file>         script that measures bundles (default bin/bundle-report.ts)
  --profile <dir>                CPU-profile the HTTP part's servers into <dir> (summary: node bin/bench/profile-summary.ts <file>)
  -h, --help

The database is MONGODB_URI when set, else an embedded FerretDB started for the run.`;

function positive(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number of seconds > 0, got "${raw}"`);
  return value;
}

function list(name: string, raw: string | undefined, fallback: readonly number[]): number[] {
  if (raw === undefined) return [...fallback];
  const values = raw.split(',').map((v) => positive(name, v.trim(), 0));
  if (values.length === 0) throw new Error(`--${name} needs at least one value`);
  return values;
}

/** The options of `argv`, or `'help'`; throws on anything it does not understand. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      parts: { type: 'string' },
      iterations: { type: 'string' },
      'login-iterations': { type: 'string' },
      'bcrypt-cost': { type: 'string' },
      'http-requests': { type: 'string' },
      'http-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      'http-authorizer-cache': { type: 'string' },
      'authorizer-iterations': { type: 'string' },
      'noisy-seconds': { type: 'string' },
      'noisy-rate': { type: 'string' },
      'quiet-rate': { type: 'string' },
      orgs: { type: 'string' },
      modes: { type: 'string' },
      'scale-iterations': { type: 'string' },
      'scale-parallel': { type: 'string' },
      'scale-budget': { type: 'string' },
      json: { type: 'string' },
      'bundle-report': { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';

  const parts = (values.parts ?? PARTS.join(',')).split(',').map((p) => p.trim());
  for (const part of parts) {
    if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--parts: unknown part "${part}" (${PARTS.join(', ')})`);
  }
  const modes = (values.modes ?? 'collection,database').split(',').map((m) => m.trim());
  for (const mode of modes) {
    if (mode !== 'collection' && mode !== 'database') throw new Error(`--modes: unknown mode "${mode}" (collection, database)`);
  }
  return {
    parts: PARTS.filter((p) => parts.includes(p)),
    iterations: positive('iterations', values.iterations, 200),
    loginIterations: positive('login-iterations', values['login-iterations'], 15),
    bcryptCost: positive('bcrypt-cost', values['bcrypt-cost'], 12, 4),
    httpSeconds: seconds('http-seconds', values['http-seconds'], 2),
    httpRequests: positive('http-requests', values['http-requests'], 5000),
    concurrency: list('concurrency', values.concurrency, [1, 10, 50]),
    httpAuthorizerCache: positive('http-authorizer-cache', values['http-authorizer-cache'], PROD_AUTHORIZER_CACHE_SECONDS, 0),
    noisySeconds: seconds('noisy-seconds', values['noisy-seconds'], 6),
    noisyRate: positive('noisy-rate', values['noisy-rate'], 50),
    quietRate: positive('quiet-rate', values['quiet-rate'], 10),
    authorizerIterations: positive('authorizer-iterations', values['authorizer-iterations'], 2000),
    orgs: list('orgs', values.orgs, [100, 1_000, 10_000]).sort((a, b) => a - b),
    modes: (['collection', 'database'] as const).filter((m) => modes.includes(m)),
    scaleIterations: positive('scale-iterations', values['scale-iterations'], 20),
    scaleParallel: positive('scale-parallel', values['scale-parallel'], 4),
    scaleBudget: positive('scale-budget', values['scale-budget'], 900, 0),
    json: values.json ?? '.local/bench-results.json',
    bundleReport: values['bundle-report'] ?? 'bin/bundle-report.ts',
    ...(values.profile ? { profile: values.profile } : {}),
  };
}
