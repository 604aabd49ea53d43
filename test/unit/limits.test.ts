import { describe, expect, it } from 'vitest';
import { limitsConfig } from '#core/config.ts';
import { TooManyRequestsError } from '#core/errors.ts';
import { Admission, dayOf, PlanBook } from '#core/limits/admission.ts';
import { DEFAULT_PLANS, type Plans, windowMsOf } from '#core/limits/plans.ts';
import type { RequestHit } from '#core/limits/stores.ts';
import { SerialPerKey } from '#core/mongo/serial.ts';
import { toCsv } from '../../bin/org-usage.ts';

/** The rate limit's rules over an in-memory usage store and a clock the test moves. */

const PLANS: Plans = {
  small: { rateLimit: 2, burstLimit: 4, quotas: { records: 10, members: 2 } },
  long: { rateLimit: 1, burstLimit: 10, quotas: { records: 10, members: 2 } },
  big: { rateLimit: 100, burstLimit: 200, quotas: { records: 1_000, members: 100 } },
};

/** The usage store's contract, in memory: one window per organization and day. */
class MemoryUsage {
  readonly windows = new Map<string, { window: number; windowMs: number; count: number }>();
  readonly calls: { hit: RequestHit; knownFull: boolean }[] = [];

  async hit(hit: RequestHit, knownFull: boolean): Promise<'admitted' | 'limited'> {
    this.calls.push({ hit, knownFull });
    const key = `${hit.orgId}:${hit.day}`;
    const current = this.windows.get(key);
    if (!current || current.window < hit.window || current.windowMs !== hit.windowMs) {
      this.windows.set(key, { window: hit.window, windowMs: hit.windowMs, count: 1 });
      return 'admitted';
    }
    if (current.count < hit.limit) {
      current.count += 1;
      return 'admitted';
    }
    return 'limited';
  }
}

function setUp(plans: Record<string, string | null> = {}) {
  const clock = { now: Date.UTC(2026, 10, 30, 12, 0, 0) };
  const usage = new MemoryUsage();
  const book = new PlanBook({
    plans: PLANS,
    defaultPlan: 'big',
    store: { planOf: async (orgId) => plans[orgId] ?? null },
    cacheMs: 0,
    now: () => clock.now,
  });
  const admission = new Admission({ plans: book, usage, now: () => clock.now });
  return { clock, usage, book, admission };
}

const visitor = (orgId: string) => ({ orgId, userId: `user-of-${orgId}` });

describe('Admission', () => {
  it("admits an organization's burst, refuses the next request with 429 rate_limited and the seconds to the window's end", async () => {
    const { admission, clock } = setUp({ a: 'small' });
    for (let i = 0; i < 4; i += 1) await admission.admit(visitor('a'), 'records-list');
    clock.now += 300;
    const refusal = await admission.admit(visitor('a'), 'records-list').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TooManyRequestsError);
    expect(refusal).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 2 }); // 1.7 s left, rounded up
    expect((refusal as Error).message).toMatch(/plan \(small\) allows 2 requests per second, 4 at once/);
  });

  it('keeps organizations apart, and admits again in the next window', async () => {
    const { admission, clock } = setUp({ a: 'small' });
    for (let i = 0; i < 4; i += 1) await admission.admit(visitor('a'), 'records-list');
    await expect(admission.admit(visitor('a'), 'records-list')).rejects.toThrow(TooManyRequestsError);
    for (let i = 0; i < 10; i += 1) await admission.admit(visitor('b'), 'records-list');
    clock.now += windowMsOf(PLANS.small as never);
    await expect(admission.admit(visitor('a'), 'records-list')).resolves.toBeUndefined();
  });

  it('tells the store when this container already saw the window full, so a refusal costs one update', async () => {
    const { admission, usage } = setUp({ a: 'small' });
    for (let i = 0; i < 4; i += 1) await admission.admit(visitor('a'), 'records-list');
    await admission.admit(visitor('a'), 'records-list').catch(() => {});
    await admission.admit(visitor('a'), 'records-get').catch(() => {});
    expect(usage.calls.map((c) => c.knownFull)).toEqual([false, false, false, false, false, true]);
    expect(usage.calls.at(-1)?.hit).toMatchObject({ orgId: 'a', route: 'records-get', limit: 4, day: '2026-11-30' });
  });

  it('starts a new window when the plan changes, even one that began before the stored window', async () => {
    const plans: Record<string, string> = { a: 'small' };
    const { admission, clock } = setUp(plans);
    clock.now = 2_001_000; // in the small plan's window from 2,000,000 (2 s long)
    for (let i = 0; i < 4; i += 1) await admission.admit(visitor('a'), 'records-list');
    await expect(admission.admit(visitor('a'), 'records-list')).rejects.toThrow(TooManyRequestsError);
    plans.a = 'long'; // 10 s windows: this one began at 2,000,000 too, but has another length
    await expect(admission.admit(visitor('a'), 'records-list')).resolves.toBeUndefined();
  });

  it('puts an organization whose document names no plan, or a plan the stage no longer has, on the default plan', async () => {
    const { book } = setUp({ gone: 'gold' });
    expect((await book.of('none')).name).toBe('big');
    expect((await book.of('gone')).name).toBe('big');
    expect(book.resolve('small').plan).toBe(PLANS.small);
  });

  it('reuses a plan for the cache time, then reads it again', async () => {
    const clock = { now: 0 };
    const plans: Record<string, string> = { a: 'small' };
    let reads = 0;
    const book = new PlanBook({
      plans: PLANS,
      defaultPlan: 'big',
      store: {
        planOf: async (orgId) => {
          reads += 1;
          return plans[orgId] ?? null;
        },
      },
      cacheMs: 30_000,
      now: () => clock.now,
    });
    expect((await book.of('a')).name).toBe('small');
    plans.a = 'big';
    clock.now = 29_999;
    expect((await book.of('a')).name).toBe('small');
    clock.now = 30_000;
    expect((await book.of('a')).name).toBe('big');
    expect(reads).toBe(2);
  });

  it('names UTC days', () => {
    expect(dayOf(Date.UTC(2026, 11, 1, 0, 0, 0) - 1)).toBe('2026-11-30');
  });
});

describe('Plans configuration', () => {
  it('defaults to the built-in plans, standard, and a 30 s plan cache', () => {
    expect(limitsConfig({})).toEqual({ plans: DEFAULT_PLANS, defaultPlan: 'standard', planCacheMs: 30_000 });
  });

  it('refuses plans that are not JSON, a default that is not a plan, and a burst below the rate', () => {
    expect(() => limitsConfig({ PLANS: '{' })).toThrow(/PLANS: must be a JSON object of plans by name/);
    expect(() => limitsConfig({ DEFAULT_PLAN: 'gold' })).toThrow(/the default plan "gold" is not one of free, standard, premium/);
    expect(() =>
      limitsConfig({
        PLANS: JSON.stringify({ x: { rateLimit: 5, burstLimit: 1, quotas: { records: 1, members: 1 } } }),
        DEFAULT_PLAN: 'x',
      }),
    ).toThrow(/x\.burstLimit \(1\) must be at least its rateLimit \(5\)/);
  });
});

describe('SerialPerKey', () => {
  it('runs the steps of one key in order, those of other keys meanwhile, and goes on after a failure', async () => {
    const serial = new SerialPerKey();
    const order: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(name);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      serial.run('a', step('a1', 30)),
      serial.run('a', step('a2', 1, true)),
      serial.run('a', step('a3', 1)),
      serial.run('b', step('b1', 5)),
    ]);
    expect(order).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  });
});

describe('Usage report as CSV', () => {
  it('writes RFC 4180 rows with a header, quoting names with commas and the by-route counts', () => {
    const csv = toCsv([
      {
        day: '2026-11-30',
        organization_id: '0123456789abcdef01234567',
        organization_name: 'Acme, "Inc"',
        plan: 'free',
        requests_total: 3,
        throttled_total: 1,
        active_members: 1,
        records: 2,
        requests: { 'records-list': 3 },
        throttled: { 'records-list': 1 },
      },
    ]);
    expect(csv.split('\r\n')).toEqual([
      'day,organization_id,organization_name,plan,requests_total,throttled_total,active_members,records,requests,throttled',
      '2026-11-30,0123456789abcdef01234567,"Acme, ""Inc""",free,3,1,1,2,"{""records-list"":3}","{""records-list"":1}"',
      '',
    ]);
  });
});

describe('Every jwt route', () => {
  it('passes the rate limit to the HTTP chain, so it runs before anything of the route', async () => {
    const { routes } = await import('../../lib/routes.ts');
    const { readFile } = await import('node:fs/promises');
    for (const route of routes.filter((r) => r.auth === 'jwt')) {
      const source = await readFile(`functions/${route.function}/handler.ts`, 'utf8');
      expect(source, route.function).toMatch(/admission: limit,/);
      expect(source, route.function).toMatch(/export const handler = createHandler\(.*, admission\(\)\);/);
    }
  });
});
