import { TooManyRequestsError } from '../errors.ts';
import { metrics } from '../metrics.ts';
import type { AttemptLog } from './stores.ts';

/**
 * Brute-force protection for login. Failures are recorded per email and per source IP in the master
 * database, so they count across containers, over a sliding window. Once the failures in the window
 * reach the limit, login answers 429 with Retry-After, without checking the password, until enough
 * of them have aged out of the window.
 */

export interface ThrottleSettings {
  readonly maxFailuresPerEmail: number;
  readonly maxFailuresPerIp: number;
  readonly windowMs: number;
  /**
   * Prefixed to the attempt keys, so that one log counts several kinds of attempt apart (the
   * password reset limit counts requests under `reset:`); none for login failures.
   */
  readonly keyPrefix?: string;
  /** The 429's detail; by default it speaks of failed logins. */
  readonly refusal?: string;
}

export class LoginThrottle {
  readonly #attempts: AttemptLog;
  readonly #settings: ThrottleSettings;
  readonly #now: () => Date;

  constructor(attempts: AttemptLog, settings: ThrottleSettings, now: () => Date = () => new Date()) {
    this.#attempts = attempts;
    this.#settings = settings;
    this.#now = now;
  }

  #keys(email: string, ip: string | undefined): [string, number][] {
    const prefix = this.#settings.keyPrefix ?? '';
    const keys: [string, number][] = [[`${prefix}email:${email}`, this.#settings.maxFailuresPerEmail]];
    if (ip) keys.push([`${prefix}ip:${ip}`, this.#settings.maxFailuresPerIp]);
    return keys;
  }

  /**
   * Throws {@link TooManyRequestsError} while the email or the source is locked out.
   *
   * @returns how many failures of the email are live (at most its limit): 0 means a success now has
   *   nothing to clear ({@link succeeded} may be skipped, one round trip less).
   */
  async check(email: string, ip: string | undefined): Promise<number> {
    return this.#refuseOver(email, ip, 0);
  }

  /**
   * Counts an attempt before it is judged: records it, then refuses it (429) when it is beyond the
   * limit. Each attempt counts after its own record is written, so of any number of concurrent
   * attempts at most the limit get through, where {@link check} then {@link failed} would let a
   * burst pass the check together. For guesses that are cheap to make (a 6-digit code) and for
   * requests that are limited whatever their outcome (emails asked for).
   */
  async attempt(email: string, ip: string | undefined): Promise<void> {
    await this.failed(email, ip);
    await this.#refuseOver(email, ip, 1);
  }

  /**
   * Refuses when more than `limit - 1 + counted` attempts are live (`counted`: this request's own,
   * recorded already); else returns the live attempts of the email key (the first key).
   */
  async #refuseOver(email: string, ip: string | undefined, counted: 0 | 1): Promise<number> {
    const now = this.#now();
    const live = await Promise.all(this.#keys(email, ip).map(([key, limit]) => this.#attempts.latest(key, now, limit + counted)));
    // Locked while `limit` earlier failures are live; free again when the oldest of them expires.
    const lockedUntil = this.#keys(email, ip).map(([, limit], i) => {
      const latest = live[i] ?? [];
      return latest.length >= limit + counted ? (latest[limit - 1]?.getTime() ?? 0) : 0;
    });
    const until = Math.max(...lockedUntil);
    if (until > now.getTime()) {
      if (!this.#settings.keyPrefix) metrics.count('lockout');
      throw new TooManyRequestsError(
        'too_many_attempts',
        this.#settings.refusal ?? 'Too many failed logins; try again later.',
        (until - now.getTime()) / 1000,
      );
    }
    return live[0]?.length ?? 0;
  }

  async failed(email: string, ip: string | undefined): Promise<void> {
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + this.#settings.windowMs);
    await Promise.all(this.#keys(email, ip).map(([key]) => this.#attempts.record(key, now, expiresAt)));
  }

  async succeeded(email: string): Promise<void> {
    await this.#attempts.clear(`${this.#settings.keyPrefix ?? ''}email:${email}`);
  }
}
