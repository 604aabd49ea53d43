import type { Plan } from '#core/limits/plans.ts';

/**
 * The plan the bench's organizations are on: a window of 1e9 requests lasting 1e9 s (about 32
 * years), so no bench load fills it and no run crosses it: every request costs the rate limit's one
 * round trip, as a steady request does, and the baselines (raw.ts) make the same one.
 */
export const BENCH_PLAN: Plan = {
  rateLimit: 1,
  burstLimit: 1_000_000_000,
  quotas: { records: 100_000_000, members: 1_000_000 },
};
