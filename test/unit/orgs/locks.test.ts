import { describe, expect, it } from 'vitest';
import { OperationLocks } from '#core/orgs/locks.ts';
import type { OperationLock } from '#core/orgs/model.ts';
import type { OperationLockStore } from '#core/orgs/stores.ts';
import { FakeOperationLockStore } from '../../support/fakes/index.ts';

const LEASE_MS = 1_000;
const ORG = '0123456789abcdef01234567';

/** Operation locks over the fake store and a clock the test moves; `store` may wrap the fake. */
function setUp(wrap: (fake: FakeOperationLockStore, now: () => Date) => OperationLockStore = (fake) => fake) {
  const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
  const now = () => new Date(clock.t);
  const fake = new FakeOperationLockStore();
  const locks = new OperationLocks(wrap(fake, now), LEASE_MS, now);
  const hold = async (lockId = 'dead-run') => {
    const lock: OperationLock = { orgId: ORG, lockId, kind: 'update', startedAt: now() };
    expect(await fake.acquire(lock)).toBe(true);
  };
  const advance = (ms: number) => {
    clock.t += ms;
  };
  return { fake, locks, now, hold, advance };
}

/** The fake, with the holder's heartbeat landing right after each look at the lock (between look and release). */
const renewedAfterLook = (fake: FakeOperationLockStore, now: () => Date): OperationLockStore =>
  new Proxy(fake, {
    get: (target, key) => {
      const value = Reflect.get(target, key);
      if (key !== 'find') return typeof value === 'function' ? value.bind(target) : value;
      return async (orgId: string) => {
        const held = await target.find(orgId);
        if (held) await target.renew(orgId, held.lockId, now());
        return held;
      };
    },
  });

describe('Operation locks: releasing a lapsed lock', () => {
  it('keeps a live lock and releases it once its lease has lapsed', async () => {
    const { fake, locks, hold, advance } = setUp();
    await hold();
    advance(LEASE_MS - 1);
    expect(await locks.releaseLapsed(ORG)).toBe(false);
    expect(fake.all()).toHaveLength(1);
    advance(1);
    expect(await locks.releaseLapsed(ORG)).toBe(true);
    expect(fake.all()).toEqual([]);
    expect(await locks.releaseLapsed(ORG)).toBe(false); // none held
  });

  it('keeps the lock when its holder renews it between the look and the release', async () => {
    const { fake, locks, hold, advance } = setUp(renewedAfterLook);
    await hold();
    advance(LEASE_MS * 2);

    expect(await locks.releaseLapsed(ORG)).toBe(false);
    expect(fake.all().map((lock) => lock.lockId)).toEqual(['dead-run']);
  });

  it('a take-over meets the same renewal with 409, and the holder keeps its lock', async () => {
    const { fake, locks, hold, advance } = setUp(renewedAfterLook);
    await hold();
    advance(LEASE_MS * 2);

    await expect(locks.hold(ORG, 'update', async () => 'ran')).rejects.toMatchObject({ code: 'operation_in_progress' });
    expect(fake.all().map((lock) => lock.lockId)).toEqual(['dead-run']);
  });

  it('a take-over of a lock that stays silent runs the work', async () => {
    const { fake, locks, hold, advance } = setUp();
    await hold();
    advance(LEASE_MS);

    expect(await locks.hold(ORG, 'update', async () => 'ran')).toBe('ran');
    expect(fake.all()).toEqual([]);
  });
});
