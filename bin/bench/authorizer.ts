import { createPublicKey, verify } from 'node:crypto';
import { authorizerEvent } from '../../test/support/events.ts';
import type { AuthorizerDecision, BenchEnv } from './env.ts';
import type { SeededOrg } from './seed.ts';
import { difference, ratio, round, type Summary, summarize } from './stats.ts';

/**
 * The authorizer: how many tokens the service's verifier checks per second with its keys imported
 * once (a warm container), against the bare Ed25519 signature check with node:crypto; and the
 * authorizer handler per call against the verifier alone. The three take turns call by call.
 */

export interface AuthorizerResult {
  readonly iterations: number;
  /** The service's verifier (jose: header, key by kid, signature, claims). */
  readonly verifyPerSecond: number;
  /** Signature only, node:crypto, key object made once: the floor. */
  readonly baselineVerifyPerSecond: number;
  readonly verifyRatio: number;
  readonly verify: Summary;
  readonly baselineVerify: Summary;
  /** The authorizer handler per call (bearer parsing, verify, context). */
  readonly handler: Summary;
  /** handler minus verify. */
  readonly handlerOverheadMs: { p50: number; p95: number; p99: number };
}

export async function runAuthorizer(env: BenchEnv, org: SeededOrg, iterations: number): Promise<AuthorizerResult> {
  const { createTokenVerifier } = await import('#core/auth/tokens.ts');
  const { verifierConfig } = await import('#core/config.ts');
  const config = verifierConfig();
  const publicKeys = config.publicKeys.value ?? '';
  const verifier = createTokenVerifier({ ...config, publicKeys });
  const authorizer = await env.load('authorizer');

  const token = await env.token({ adminId: org.adminId, orgId: org.orgId });
  const [header = '', payload = '', signature = ''] = token.split('.');
  const signed = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  const jwk = (JSON.parse(publicKeys) as { keys: object[] }).keys[0];
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  const event = authorizerEvent(`Bearer ${token}`);
  const context = env.context('authorizer');

  const raw: number[] = [];
  const jose: number[] = [];
  const handler: number[] = [];
  const warmup = Math.min(200, Math.ceil(iterations / 10));
  for (let i = 0; i < warmup + iterations; i++) {
    const record = i >= warmup;
    let started = performance.now();
    if (!verify(null, signed, key, sig)) throw new Error('the bench token does not verify');
    if (record) raw.push(performance.now() - started);

    started = performance.now();
    await verifier.verify(token);
    if (record) jose.push(performance.now() - started);

    started = performance.now();
    const decision = (await authorizer(event, context)) as AuthorizerDecision;
    if (record) handler.push(performance.now() - started);
    if (!decision.isAuthorized) throw new Error('the authorizer refused a valid token');
  }

  const perSecond = (samples: number[]) => round(samples.length / (samples.reduce((a, b) => a + b, 0) / 1000), 0);
  const verifySummary = summarize(jose);
  const handlerSummary = summarize(handler);
  return {
    iterations,
    verifyPerSecond: perSecond(jose),
    baselineVerifyPerSecond: perSecond(raw),
    verifyRatio: ratio(perSecond(jose), perSecond(raw)),
    verify: verifySummary,
    baselineVerify: summarize(raw),
    handler: handlerSummary,
    handlerOverheadMs: difference(handlerSummary, verifySummary),
  };
}
