import type { BcryptProbe } from './bcrypt-probe.ts';
import { pick } from './cases.ts';
import type { BenchEnv } from './env.ts';
import { invokeRoute } from './handlers.ts';
import { BENCH_PASSWORD, type SeededOrg } from './seed.ts';
import { ratio, type Summary, summarize } from './stats.ts';

/**
 * Login at the production bcrypt cost: how much of a login is bcrypt, and whether an unknown email
 * takes as long as a wrong password (it must: otherwise timing tells which emails have an account).
 * The three kinds of attempt take turns, so noise falls on all of them alike. Asking for a password
 * reset is measured the same way, for an address an account uses and one nobody uses.
 */

export interface LoginKind {
  readonly total: Summary;
  readonly bcrypt: Summary;
  /** total minus bcrypt, per call. */
  readonly rest: Summary;
}

export interface LoginResult {
  readonly bcryptCost: number;
  readonly iterations: number;
  readonly correct: LoginKind;
  readonly wrongPassword: LoginKind;
  readonly unknownEmail: LoginKind;
  /** unknown email p50 / wrong password p50: near 1 means no user enumeration by timing. */
  readonly unknownOverWrongP50: number;
  readonly unknownOverWrongMean: number;
  /** Share of a successful login spent in bcrypt (p50s). */
  readonly bcryptShareP50: number;
  /** POST /password/forgot for an address an account uses and for one nobody uses, taking turns. */
  readonly forgot: {
    readonly known: Summary;
    readonly unknown: Summary;
    readonly unknownOverKnownP50: number;
    readonly unknownOverKnownMean: number;
  };
}

const ROUTE = 'POST /admin/login';

type Kind = 'correct' | 'wrongPassword' | 'unknownEmail';

export async function runLogin(
  env: BenchEnv,
  probe: BcryptProbe,
  readers: readonly SeededOrg[],
  iterations: number,
): Promise<LoginResult> {
  const samples: Record<Kind, { total: number[]; bcrypt: number[] }> = {
    correct: { total: [], bcrypt: [] },
    wrongPassword: { total: [], bcrypt: [] },
    unknownEmail: { total: [], bcrypt: [] },
  };
  const attempt = async (kind: Kind, i: number, record: boolean) => {
    const org = pick(readers, i);
    const body =
      kind === 'correct'
        ? { email: org.email, password: BENCH_PASSWORD }
        : kind === 'wrongPassword'
          ? { email: org.email, password: `${BENCH_PASSWORD}x` }
          : { email: `nobody-${i}@bench-unknown.example`, password: BENCH_PASSWORD };
    const call = await invokeRoute(env, probe, ROUTE, { org, body });
    const expected = kind === 'correct' ? 200 : 401;
    if (call.status !== expected) throw new Error(`login (${kind}) answered ${call.status}, expected ${expected}`);
    if (record) {
      samples[kind].total.push(call.ms);
      samples[kind].bcrypt.push(call.bcryptMs);
    }
  };

  const kinds: Kind[] = ['correct', 'wrongPassword', 'unknownEmail'];
  const warmup = 1;
  for (let i = 0; i < warmup + iterations; i++) {
    for (let k = 0; k < kinds.length; k++) await attempt(kinds[(i + k) % kinds.length] as Kind, i, i >= warmup);
  }

  // Asking for a reset: the same answer and, measured the same way, the same time for both kinds.
  const forgot = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < warmup + iterations; i++) {
    for (const known of i % 2 === 0 ? [true, false] : [false, true]) {
      const org = pick(readers, i);
      const email = known ? org.email : `nobody-${i}@bench-unknown.example`;
      const call = await invokeRoute(env, probe, 'POST /password/forgot', { org, body: { email } });
      if (call.status !== 202) throw new Error(`password/forgot answered ${call.status}, expected 202`);
      if (i >= warmup) forgot[known ? 'known' : 'unknown'].push(call.ms);
    }
  }
  const known = summarize(forgot.known);
  const unknown = summarize(forgot.unknown);

  const kind = (s: { total: number[]; bcrypt: number[] }): LoginKind => ({
    total: summarize(s.total),
    bcrypt: summarize(s.bcrypt),
    rest: summarize(s.total.map((t, k) => t - (s.bcrypt[k] ?? 0))),
  });
  const correct = kind(samples.correct);
  const wrongPassword = kind(samples.wrongPassword);
  const unknownEmail = kind(samples.unknownEmail);
  return {
    bcryptCost: env.bcryptCost,
    iterations,
    correct,
    wrongPassword,
    unknownEmail,
    unknownOverWrongP50: ratio(unknownEmail.total.p50, wrongPassword.total.p50),
    unknownOverWrongMean: ratio(unknownEmail.total.mean, wrongPassword.total.mean),
    bcryptShareP50: ratio(correct.bcrypt.p50, correct.total.p50),
    forgot: {
      known,
      unknown,
      unknownOverKnownP50: ratio(unknown.p50, known.p50),
      unknownOverKnownMean: ratio(unknown.mean, known.mean),
    },
  };
}
