import { describe, expect, it } from 'vitest';
import { once, PromiseCache } from '#core/cache.ts';

describe('PromiseCache', () => {
  it('shares one load between concurrent callers and serves it until it is too old', async () => {
    const clock = { t: 0 };
    const cache = new PromiseCache<string, number>({ maxAgeMs: 100, now: () => clock.t });
    let loads = 0;
    const load = async () => ++loads;

    expect(await Promise.all([cache.get('k', load), cache.get('k', load)])).toEqual([1, 1]);
    clock.t = 99;
    expect(await cache.get('k', load)).toBe(1);
    clock.t = 100;
    expect(await cache.get('k', load)).toBe(2);
    expect(await cache.get('k', load, { fresh: true })).toBe(3);
    expect(await cache.get('k', load, { maxAgeMs: 0 })).toBe(4);
  });

  it('forgets a failed load, and clears itself past its entry limit', async () => {
    const cache = new PromiseCache<string, string>({ maxEntries: 2 });
    await expect(cache.get('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('a', async () => 'up')).toBe('up');

    await cache.get('b', async () => 'b');
    await cache.get('c', async () => 'c');

    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.peek('c')).toBe('c');
  });

  it('once() makes a value once and again only after a failure', async () => {
    let calls = 0;
    const value = once(async () => {
      calls += 1;
      if (calls === 1) throw new Error('first fails');
      return calls;
    });

    await expect(value()).rejects.toThrow('first fails');
    expect(await Promise.all([value(), value()])).toEqual([2, 2]);
    expect(calls).toBe(2);
  });
});
