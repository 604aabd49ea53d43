#!/usr/bin/env node
/**
 * Where a server's CPU time went, from a V8 CPU profile (`npm run bench -- --parts http --profile
 * <dir>` writes one per server): self time by origin (each package under node_modules, the service's
 * own functions/ and lib/, the local API's bin/, Node's internals, garbage collection, idle) and the
 * functions with the most self time.
 *
 *   node bin/bench/profile-summary.ts <file.cpuprofile> [--top 25] [--requests N] [--steady]
 *
 * With --requests (the requests the server answered while profiled), also the busy time per request.
 * With --steady, only the samples after the last one spent loading or compiling a module (the server
 * loads each handler at its first request): the steady state, without start-up.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  /** Microseconds between a sample and the one before it. */
  readonly timeDeltas: readonly number[];
}

/** The origin of a script URL: a package, the service's code, the local API, Node, or V8's own entries. */
export function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(functions\/core\/[^/]+|functions\/[^/]+|lib|bin\/[^/]+)\//.exec(url)?.[1];
  return own ?? url;
}

/** Functions that load or compile modules: start-up, not serving. */
const LOADING =
  /^(compileSourceTextModule|wrapSafe|compileForInternalLoader|compileFunction|moduleStrategy|link|instantiate|evaluate)$/;

/** The index of the first sample after the last one spent loading a module (0 if none). */
export function steadyStart(profile: Profile): number {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let last = -1;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    if (frame && (LOADING.test(frame.functionName) || frame.url.startsWith('wasm://'))) last = i;
  });
  return last + 1;
}

/** Self milliseconds per origin and per function, from the samples (from index `from`) and their time deltas. */
export function summarizeProfile(
  profile: Profile,
  from = 0,
): {
  totalMs: number;
  byOrigin: [string, number][];
  byFunction: [string, number][];
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const origin = new Map<string, number>();
  const fn = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || i < from) return;
    total += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = originOf(url, functionName);
    origin.set(where, (origin.get(where) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|functions|bin|lib)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, byOrigin: sorted(origin), byFunction: sorted(fn) };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' }, requests: { type: 'string' }, steady: { type: 'boolean' } },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) {
    console.error('Usage: node bin/bench/profile-summary.ts <file.cpuprofile> [--top 25] [--requests N] [--steady]');
    process.exit(2);
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const summary = summarizeProfile(profile, values.steady ? steadyStart(profile) : 0);
  const busy = summary.byOrigin.filter(([o]) => o !== '(idle)').reduce((a, [, ms]) => a + ms, 0);
  const requests = values.requests ? Number(values.requests) : undefined;
  const line = (name: string, ms: number) =>
    `${ms.toFixed(0).padStart(8)} ms  ${((ms / busy) * 100).toFixed(1).padStart(5)}% of busy` +
    `${requests ? `  ${((ms / requests) * 1000).toFixed(0).padStart(6)} µs/request` : ''}  ${name}`;
  console.log(
    `${file}: ${(summary.totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s busy (not idle)` +
      `${requests ? `, ${((busy / requests) * 1000).toFixed(0)} µs busy per request over ${requests} requests` : ''}\n`,
  );
  console.log('self time by origin (idle left out)');
  for (const [name, ms] of summary.byOrigin.filter(([o]) => o !== '(idle)').slice(0, Number(values.top))) {
    console.log(line(name, ms));
  }
  console.log('\nself time by function');
  for (const [name, ms] of summary.byFunction.filter(([n]) => !n.startsWith('(idle)')).slice(0, Number(values.top))) {
    console.log(line(name, ms));
  }
}
