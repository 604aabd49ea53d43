import type { CacheName } from './metric-names.ts';
import { metrics } from './metrics.ts';

/**
 * The one promise cache of the service: a value loaded once and shared by concurrent callers,
 * optionally for a limited time. A load that fails is forgotten, so the next call tries again.
 */

export interface PromiseCacheOptions {
  /** How long a loaded value is served; forever when absent. */
  readonly maxAgeMs?: number;
  /** The cache is cleared when it would grow past this many entries. */
  readonly maxEntries?: number;
  /** Milliseconds now (tests inject a clock). */
  readonly now?: () => number;
  /** Counts each look-up as a hit or a miss of this cache's hit-rate metric (`metric-names.ts`). */
  readonly metric?: CacheName;
}

export class PromiseCache<K, V> {
  readonly #entries = new Map<K, { value: Promise<V>; at: number }>();
  readonly #options: PromiseCacheOptions;

  constructor(options: PromiseCacheOptions = {}) {
    this.#options = options;
  }

  #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  /**
   * The cached value for `key`, or what `load` gives: when there is none, when it is older than
   * `maxAgeMs` (this call's, else the cache's), or when `fresh` is set.
   */
  get(key: K, load: () => Promise<V>, options: { fresh?: boolean; maxAgeMs?: number } = {}): Promise<V> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    const maxAge = options.maxAgeMs ?? this.#options.maxAgeMs;
    const served = hit && !options.fresh && (maxAge === undefined || now - hit.at < maxAge);
    if (this.#options.metric) metrics.cacheLookup(this.#options.metric, Boolean(served));
    if (hit && served) return hit.value;
    if (!hit && this.#entries.size >= (this.#options.maxEntries ?? Number.POSITIVE_INFINITY)) this.#entries.clear();
    const entry = { value: load(), at: now };
    this.#entries.set(key, entry);
    entry.value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.value;
  }

  /** The cached promise for `key`, whatever its age, without loading. */
  peek(key: K): Promise<V> | undefined {
    return this.#entries.get(key)?.value;
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** `make()` once, shared by every caller; tried again after a failure. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  const cache = new PromiseCache<true, T>();
  return () => cache.get(true, make);
}
