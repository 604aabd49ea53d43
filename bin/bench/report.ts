import type { AuthorizerResult } from './authorizer.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { ServerInfo } from './env.ts';
import type { HandlersResult } from './handlers.ts';
import type { HttpResult, LoadFigures } from './http.ts';
import type { LoginResult } from './login.ts';
import type { NoisyResult } from './noisy.ts';
import type { BenchOptions } from './options.ts';
import type { ScaleResult } from './scale.ts';
import type { Summary } from './stats.ts';

/** The figures of one run (written as JSON) and the text table printed from them. */

export interface BenchResult {
  readonly meta: {
    readonly startedAt: string;
    readonly seconds: number;
    readonly command: string;
    readonly server: ServerInfo;
    readonly machine: {
      readonly cpus: number;
      readonly cpuModel: string;
      readonly memoryGiB: number;
      readonly node: string;
      readonly platform: string;
      /** 1-minute load average before and after the run: how busy the machine was. */
      readonly loadAverage: { readonly start: number; readonly end: number };
    };
    readonly options: BenchOptions;
  };
  readonly handlers?: HandlersResult;
  readonly http?: HttpResult;
  readonly noisy?: NoisyResult;
  readonly login?: LoginResult;
  readonly authorizer?: AuthorizerResult;
  readonly coldStart?: ColdStartResult;
  readonly scale?: ScaleResult;
}

/** Milliseconds with the precision that means something at that size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  return value.toFixed(abs < 10 ? 2 : abs < 100 ? 1 : 0);
}

const trio = (s: { p50: number; p95: number; p99: number }) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`;
const duo = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)}`;
const sign = (v: number) => (v >= 0 ? `+${ms(v)}` : ms(v));
const signed = (s: { p50: number; p95: number; p99: number }) => [s.p50, s.p95, s.p99].map(sign).join(' / ');
const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '-');

/** Left-aligned text columns, two spaces apart, with a rule under the header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function handlersSection(h: HandlersResult): string {
  const rows = h.rows.map((r) => [
    r.route,
    r.bcrypt ? `${r.note} (bcrypt p50 ${ms(r.bcrypt.p50)})` : r.note,
    trio(r.measured),
    trio(r.baseline),
    signed(r.overheadMs),
    times(r.ratioP50),
  ]);
  return [
    `Handler overhead: warm in-process calls vs the driver alone, ms (n=${h.iterations} per side, login n=${h.loginIterations})`,
    table(['route', 'request', 'handler p50/p95/p99', 'driver p50/p95/p99', 'overhead p50/p95/p99', 'ratio p50'], rows),
  ].join('\n');
}

const failures = (f: LoadFigures) => `${f.non2xx}${f.errors > 0 ? ` (+${f.errors} errors)` : ''}`;

function httpSection(h: HttpResult): string {
  const rows = h.rows.map((r) => [
    r.route,
    String(r.concurrency),
    String(r.api.rps),
    ms(r.api.latency.p50),
    ms(r.api.latency.p99),
    failures(r.api),
    String(r.baseline.rps),
    ms(r.baseline.latency.p50),
    ms(r.baseline.latency.p99),
    failures(r.baseline),
    times(r.rpsRatio),
    `${ms(r.api.cpuMsPerRequest)} / ${ms(r.baseline.cpuMsPerRequest)}`,
    times(r.baseline.cpuMsPerRequest / r.api.cpuMsPerRequest),
  ]);
  const problems = h.rows.flatMap((r) =>
    (['api', 'baseline'] as const)
      .filter((side) => r[side].non2xx > 0 || r[side].errors > 0 || r[side].cutShortRounds > 0)
      .map(
        (side) =>
          `NOT ALL ANSWERED 2xx: ${r.route} at ${r.concurrency} (${side}): statuses ${JSON.stringify(r[side].statuses)}, ` +
          `${r[side].errors} errors (${r[side].timeouts} timeouts), ${r[side].cutShortRounds} rounds cut short`,
      ),
  );
  return [
    `Through HTTP: local API vs node:http + driver under autocannon, about ${h.secondsPerSide} s per side in alternating rounds, latency ms ` +
      `(the local API's authorizer result cache: ${h.authorizerCacheSeconds} s)`,
    table(
      [
        'route',
        'conc',
        'api rps',
        'p50',
        'p99',
        'non-2xx',
        'bare rps',
        'p50',
        'p99',
        'non-2xx',
        'rps ratio',
        'cpu ms/req api / bare',
        'cpu ratio',
      ],
      rows,
    ),
    "(cpu: the server process's CPU time per answered request; cpu ratio: bare / api, the requests per second the API would reach where its CPU is what runs out)",
    ...problems,
  ].join('\n');
}

function loginSection(l: LoginResult): string {
  const row = (name: string, k: LoginResult['correct']) => [
    name,
    trio(k.total),
    ms(k.bcrypt.p50),
    ms(k.rest.p50),
    ms(k.rest.p95),
  ];
  return [
    `Login at bcrypt cost ${l.bcryptCost}, ms (n=${l.iterations} per kind, the kinds taking turns)`,
    table(
      ['attempt', 'total p50/p95/p99', 'bcrypt p50', 'rest p50', 'rest p95'],
      [row('correct password', l.correct), row('wrong password', l.wrongPassword), row('unknown email', l.unknownEmail)],
    ),
    `unknown email / wrong password: ${times(l.unknownOverWrongP50)} at p50, ${times(l.unknownOverWrongMean)} on the mean; ` +
      `bcrypt is ${Math.round(l.bcryptShareP50 * 100)}% of a successful login`,
    `Password reset asked for (POST /password/forgot), ms p50/p95/p99: known address ${trio(l.forgot.known)}, ` +
      `unknown address ${trio(l.forgot.unknown)}; unknown / known: ${times(l.forgot.unknownOverKnownP50)} at p50, ` +
      `${times(l.forgot.unknownOverKnownMean)} on the mean`,
  ].join('\n');
}

function authorizerSection(a: AuthorizerResult): string {
  return [
    `Authorizer: keys imported once (n=${a.iterations} per side)`,
    table(
      ['figure', 'service', 'baseline', 'ratio'],
      [
        [
          'token verifications/s (jose vs bare Ed25519, node:crypto)',
          String(a.verifyPerSecond),
          String(a.baselineVerifyPerSecond),
          times(a.verifyRatio),
        ],
        ['authorizer handler vs verifier, ms p50/p95/p99', trio(a.handler), trio(a.verify), signed(a.handlerOverheadMs)],
      ],
    ),
  ].join('\n');
}

function coldStartSection(c: ColdStartResult): string {
  if (c.status !== 'measured') return `Cold start: ${c.status} (${c.reason})`;
  const rows = c.functions.map((f) => [
    f.function,
    `${(f.bytes / 1024).toFixed(1)} KiB`,
    ms(f.importMsMedian),
    sign(f.overBaselineMs),
    times(f.ratio),
  ]);
  return [
    `Cold start: bundle size and import in a fresh Node process vs \`node -e 0\` (${ms(c.baselineMs)} ms), ` +
      `medians${c.runs ? ` of ${c.runs} runs` : ''} from ${c.script}`,
    table(['function', 'bundle', 'import median ms', 'over node -e 0', 'ratio'], rows),
  ].join('\n');
}

function scaleSection(s: ScaleResult): string {
  const percent = (share: number | undefined) =>
    share === undefined || !Number.isFinite(share) ? '-' : `${Math.round(share * 100)}%`;
  const rows = s.points.flatMap((p) =>
    p.rows.map((r) => [
      p.mode,
      String(p.orgs),
      r.route,
      duo(r.measured),
      duo(r.baseline),
      sign(r.overheadMs.p50),
      `${percent(r.dbShare)} (${percent(r.masterDbShare)})`,
      p.seedSeconds > 0 ? `${p.seedSeconds} s (${ms(p.msPerPlace)} ms/place)` : '-',
    ]),
  );
  const lines = [
    `Scale: each organization with its own place and ${s.recordsPerOrg} records, by placement mode, ms ` +
      `(n=${s.iterations} per side, route and point; login without bcrypt; seeding ${s.seedSeconds} s in all)`,
    table(['mode', 'orgs', 'route', 'handler p50/p95', 'driver p50/p95', 'overhead p50', 'db share (master)', 'seeding'], rows),
    ...s.ratios.map(
      (r) =>
        `${r.mode} mode, ${r.route}: ${r.toOrgs} vs ${r.fromOrgs} orgs: handler ${times(r.handlerP50Ratio)}, ` +
        `driver ${times(r.baselineP50Ratio)} at p50 (target ${times(s.targetRatio)}: ${r.withinTarget ? 'met' : 'not met'})`,
    ),
  ];
  if (s.limited) lines.push(s.limited);
  lines.push(...s.notes);
  return lines.join('\n');
}

function noisySection(n: NoisyResult): string {
  return [
    `Noisy neighbour (local API, GET /org/records): a ${n.plans.quiet} organization at ${n.quietRate}/s, alone and beside a ` +
      `${n.plans.noisy} organization at ${n.noisyRate}/s; latency ms p50 / p95 / p99 (target: p95 with noise at most 1.20x, no 429 for the quiet one)`,
    table(
      ['quiet organization', 'requests', 'latency', '429s'],
      [
        ['alone', String(n.quiet.alone.n), trio(n.quiet.alone), '-'],
        ['beside the noise', String(n.quiet.withNoise.n), trio(n.quiet.withNoise), String(n.quiet429)],
      ],
    ),
    `p95 with noise / alone: ${times(n.p95Ratio)}; noisy organization: ${n.noisy.sent} sent, ${n.noisy.served} served, ${n.noisy.refused} answered 429`,
  ].join('\n');
}

export function renderReport(result: BenchResult): string {
  const m = result.meta;
  const header = [
    `orgs-service bench, ${m.startedAt}, ${Math.round(m.seconds)} s`,
    `server:  ${m.server.label}${m.server.kind === 'ferretdb' ? ' (figures show the service’s own overhead, not MongoDB or Atlas latency)' : ''}`,
    `machine: ${m.machine.cpus} CPUs (${m.machine.cpuModel}), ${m.machine.memoryGiB} GiB, Node ${m.machine.node}, ${m.machine.platform}, ` +
      `load average ${m.machine.loadAverage.start} -> ${m.machine.loadAverage.end}`,
    `command: ${m.command}`,
  ].join('\n');
  const sections = [
    result.handlers && handlersSection(result.handlers),
    result.http && httpSection(result.http),
    result.noisy && noisySection(result.noisy),
    result.login && loginSection(result.login),
    result.authorizer && authorizerSection(result.authorizer),
    result.coldStart && coldStartSection(result.coldStart),
    result.scale && scaleSection(result.scale),
  ].filter((s): s is string => typeof s === 'string');
  return [header, ...sections].join('\n\n');
}
