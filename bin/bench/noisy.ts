import { join } from 'node:path';
import { ObjectId } from 'mongodb';
import { DEFAULT_PLANS } from '#core/limits/plans.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import type { BenchEnv } from './env.ts';
import { startServer } from './http.ts';
import type { SeededOrg } from './seed.ts';
import { ratio, type Summary, summarize } from './stats.ts';

/**
 * Noisy neighbour: a quiet organization reads its records at a steady pace (under its plan's rate)
 * through the local API, in rounds that alternate between no noise and a noisy organization sending
 * `noisyRate` requests per second (many times its plan's rate). The figure: the quiet
 * organization's p95 with the noise over its p95 without (the target is at most 1.2x), with its
 * 429s (the target is none) and the noisy organization's answers.
 *
 * The local API serves every request in one process; in AWS each request has a container of its
 * own, so the noise takes no CPU from the quiet organization's requests there. What both share is
 * the database: the noisy organization's refusals cost it one update each (see BENCHMARKS.md).
 */

export interface NoisyOptions {
  /** Seconds of each side (quiet alone, quiet with noise), in alternating rounds of about a second. */
  readonly seconds: number;
  /** The quiet organization's requests per second. */
  readonly quietRate: number;
  /** The noisy organization's requests per second. */
  readonly noisyRate: number;
  /** The local API's authorizer result cache, seconds. */
  readonly authorizerCacheSeconds: number;
}

export interface NoisyResult {
  readonly plans: { readonly quiet: string; readonly noisy: string };
  readonly quietRate: number;
  readonly noisyRate: number;
  /** The quiet organization's latency without the noise and with it, ms. */
  readonly quiet: { readonly alone: Summary; readonly withNoise: Summary };
  /** With noise p95 over alone p95. */
  readonly p95Ratio: number;
  /** 429s the quiet organization got (both sides). */
  readonly quiet429: number;
  readonly noisy: { readonly sent: number; readonly served: number; readonly refused: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `perSecond` requests a second to `url` until `until`, each started on its own schedule. */
async function paced(url: string, token: string, perSecond: number, until: number, answer: (status: number, ms: number) => void) {
  const gap = 1_000 / perSecond;
  const inFlight: Promise<void>[] = [];
  for (let next = performance.now(); Date.now() < until; next += gap) {
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      (async () => {
        const started = performance.now();
        const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        await response.arrayBuffer();
        answer(response.status, performance.now() - started);
      })(),
    );
  }
  await Promise.all(inFlight);
}

export async function runNoisy(env: BenchEnv, quiet: SeededOrg, noisy: SeededOrg, options: NoisyOptions): Promise<NoisyResult> {
  const plans = { quiet: 'standard', noisy: 'free' } as const;
  const organizations = env.client.db(env.masterDb).collection(C.organizations);
  // The noisy organization is on the free plan for this part only: the other parts read it too.
  await organizations.updateOne({ _id: new ObjectId(noisy.orgId) }, { $set: { plan: plans.noisy } });
  const api = await startServer(
    join('bin', 'local-api.ts'),
    env.childEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      LOCAL_API_AUTHORIZER_CACHE_SECONDS: String(options.authorizerCacheSeconds),
      PLANS: JSON.stringify(DEFAULT_PLANS),
      DEFAULT_PLAN: plans.quiet,
    }),
    /Local API listening on (http:\/\/\S+)/,
  );
  try {
    const url = `${api.url}/org/records?limit=5`;
    const quietToken = await env.token({ adminId: quiet.adminId, orgId: quiet.orgId });
    const noisyToken = await env.token({ adminId: noisy.adminId, orgId: noisy.orgId });
    const alone: number[] = [];
    const withNoise: number[] = [];
    let quiet429 = 0;
    const noisyCounts = { sent: 0, served: 0, refused: 0 };
    // Warm-up: connections, the authorizer's and the plans' caches, both organizations' day documents.
    await paced(url, quietToken, options.quietRate, Date.now() + 500, () => {});
    await paced(url, noisyToken, 2, Date.now() + 500, () => {});
    const rounds = Math.max(2, Math.round(options.seconds) * 2);
    const roundMs = (options.seconds * 2_000) / rounds;
    for (let r = 0; r < rounds; r += 1) {
      const noise = r % 4 === 1 || r % 4 === 2; // off, on, on, off, ...: drift falls on both sides alike
      const until = Date.now() + roundMs;
      const samples = noise ? withNoise : alone;
      await Promise.all([
        paced(url, quietToken, options.quietRate, until, (status, ms) => {
          if (status === 429) quiet429 += 1;
          else samples.push(ms);
        }),
        noise
          ? paced(url, noisyToken, options.noisyRate, until, (status) => {
              noisyCounts.sent += 1;
              if (status === 429) noisyCounts.refused += 1;
              else if (status === 200) noisyCounts.served += 1;
            })
          : Promise.resolve(),
      ]);
      await api.assertRunning();
    }
    const quietFigures = { alone: summarize(alone), withNoise: summarize(withNoise) };
    return {
      plans,
      quietRate: options.quietRate,
      noisyRate: options.noisyRate,
      quiet: quietFigures,
      p95Ratio: ratio(quietFigures.withNoise.p95, quietFigures.alone.p95),
      quiet429,
      noisy: noisyCounts,
    };
  } finally {
    await api.stop();
    await organizations.updateOne({ _id: new ObjectId(noisy.orgId) }, { $unset: { plan: '' } });
  }
}
