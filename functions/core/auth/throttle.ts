import { TooManyRequestsError } from '../errors.ts';
import type { CounterStore } from './stores.ts';

/**
 * Brute-force protection for login. Failures are counted per email and per source IP in the master
 * database, in fixed windows, so the counts hold across containers. Once a count reaches its limit,
 * login answers 429 with Retry-After until the window ends, without checking the password.
 */

export interface ThrottleSettings {
  readonly maxFailuresPerEmail: number;
  readonly maxFailuresPerIp: number;
  readonly windowMs: number;
}

export class LoginThrottle {
  readonly #counters: CounterStore;
  readonly #settings: ThrottleSettings;
  readonly #now: () => Date;

  constructor(counters: CounterStore, settings: ThrottleSettings, now: () => Date = () => new Date()) {
    this.#counters = counters;
    this.#settings = settings;
    this.#now = now;
  }

  /** Throws {@link TooManyRequestsError} while the email or the source is locked out. */
  async check(email: string, ip: string | undefined): Promise<void> {
    const now = this.#now();
    const [byEmail, byIp] = await Promise.all([
      this.#counters.get(`email:${email}`, now),
      ip ? this.#counters.get(`ip:${ip}`, now) : null,
    ]);
    for (const [counter, limit] of [
      [byEmail, this.#settings.maxFailuresPerEmail],
      [byIp, this.#settings.maxFailuresPerIp],
    ] as const) {
      if (counter && counter.count >= limit) {
        throw new TooManyRequestsError(
          'too_many_attempts',
          'Too many failed logins; try again later.',
          (counter.resetAt.getTime() - now.getTime()) / 1000,
        );
      }
    }
  }

  async failed(email: string, ip: string | undefined): Promise<void> {
    const now = this.#now();
    await Promise.all([
      this.#counters.increment(`email:${email}`, now, this.#settings.windowMs),
      ip ? this.#counters.increment(`ip:${ip}`, now, this.#settings.windowMs) : undefined,
    ]);
  }

  async succeeded(email: string): Promise<void> {
    await this.#counters.reset(`email:${email}`);
  }
}
