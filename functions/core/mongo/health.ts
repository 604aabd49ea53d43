/**
 * What a container knows about reaching its database, learnt from its own calls and from the
 * driver's heartbeats, and the rules built on it:
 *
 * - A call that hears nothing from the database for `silenceMs` is given up. A paused or
 *   unreachable server can keep its TCP connections open and answer nothing; the driver's own
 *   remedy is a failed heartbeat (a heartbeat interval plus connectTimeoutMS later) and then a
 *   retry that waits for server selection again, so it alone answers long after the bound.
 *   While the server answers heartbeats it is alive, and a long call (a copy, a scan) goes on.
 * - After an outage, new calls fail at once for `holdMs`, unless the database is heard from again,
 *   so a request's clean-up steps and the requests right behind it do not each wait again.
 * - When calls have kept failing and none has succeeded for `staleAfterMs`, the client is called
 *   stale: its owner replaces it (see client.ts), since a client can stay broken after its server
 *   came back (a heartbeat that never finishes leaves the server unselectable for good).
 */

/** A call that could not reach the database: it stayed silent, or an outage is being held. */
export class DatabaseUnreachableError extends Error {
  /** `silent`: nothing was heard for the silence bound; `held`: an outage was seen moments ago. */
  readonly reason: 'silent' | 'held';

  constructor(reason: 'silent' | 'held', silenceMs: number) {
    super(
      reason === 'silent'
        ? `The database gave no sign of life for ${silenceMs} ms`
        : 'The database was unreachable moments ago; not trying again yet',
    );
    this.name = 'DatabaseUnreachableError';
    this.reason = reason;
  }
}

export interface WatchOptions {
  /** How long a call may go without a sign of life from the database before it is given up (ms). */
  readonly silenceMs: number;
  /** How long after an outage new calls fail without trying (ms); default min(silenceMs, 1000). */
  readonly holdMs?: number;
  /** How long calls may fail with none succeeding before the client is called stale (ms); default 2 × silenceMs. */
  readonly staleAfterMs?: number;
  /** Milliseconds now (tests inject a clock). */
  readonly now?: () => number;
}

export class DatabaseWatch {
  #silenceMs = 0;
  #holdMs = 0;
  #staleAfterMs = 0;
  readonly #now: () => number;
  /** The last sign of life from the server: a heartbeat, or any call it answered. */
  #heardAt = Number.NEGATIVE_INFINITY;
  /** The last call that did not fail for an outage. */
  #succeededAt = Number.NEGATIVE_INFINITY;
  /** The last call that failed for an outage. */
  #failedAt = Number.NEGATIVE_INFINITY;
  /** When the current client started. */
  #since: number;
  readonly #active = new Set<number>();
  #lastCall = 0;
  #drains: { upTo: number; resolve: () => void }[] = [];
  readonly #staleListeners = new Set<() => void>();

  constructor(options: WatchOptions) {
    this.#now = options.now ?? Date.now;
    this.#since = this.#now();
    this.configure(options);
  }

  /** Changes the bounds (the container's client sets them from its configuration). */
  configure(options: Omit<WatchOptions, 'now'>): void {
    this.#silenceMs = options.silenceMs;
    this.#holdMs = options.holdMs ?? Math.min(options.silenceMs, 1_000);
    this.#staleAfterMs = options.staleAfterMs ?? 2 * options.silenceMs;
  }

  get silenceMs(): number {
    return this.#silenceMs;
  }

  /** A sign of life from the server (a heartbeat succeeded). */
  heard(): void {
    this.#heardAt = this.#now();
  }

  /** A new client took over: earlier failures no longer count, and nothing is held. */
  renewed(): void {
    this.#since = this.#now();
    this.#failedAt = Number.NEGATIVE_INFINITY;
  }

  /** True while an outage seen moments ago makes new calls fail without trying. */
  holding(): boolean {
    return this.#failedAt > this.#heardAt && this.#now() - this.#failedAt < this.#holdMs;
  }

  /** Calls `listener` when the client is stale; returns the way to stop listening. */
  onStale(listener: () => void): () => void {
    this.#staleListeners.add(listener);
    return () => this.#staleListeners.delete(listener);
  }

  /**
   * Runs one call to the database under the rules above. `isOutage` says which failures mean the
   * database could not be reached. Throws {@link DatabaseUnreachableError} when the call is held
   * or stays silent; the call itself is then left to finish or fail on its own, unobserved.
   */
  async run<T>(call: () => Promise<T>, isOutage: (error: unknown) => boolean): Promise<T> {
    if (this.holding()) throw new DatabaseUnreachableError('held', this.#silenceMs);
    const id = ++this.#lastCall;
    this.#active.add(id);
    try {
      const result = await this.#bounded(call(), this.#now());
      this.#answered();
      return result;
    } catch (error) {
      if (isOutage(error)) this.#failed();
      else this.#answered();
      throw error;
    } finally {
      this.#active.delete(id);
      if (this.#drains.length > 0) this.#settleDrains();
    }
  }

  /** Resolves the waits of {@link drained} whose calls have all ended. */
  #settleDrains(): void {
    this.#drains = this.#drains.filter((drain) => {
      if (this.#runningUpTo(drain.upTo)) return true;
      drain.resolve();
      return false;
    });
  }

  /** Resolves once every call running now has ended (calls started later are not waited for). */
  drained(): Promise<void> {
    const upTo = this.#lastCall;
    if (!this.#runningUpTo(upTo)) return Promise.resolve();
    return new Promise((resolve) => this.#drains.push({ upTo, resolve }));
  }

  #runningUpTo(upTo: number): boolean {
    for (const id of this.#active) if (id <= upTo) return true;
    return false;
  }

  #answered(): void {
    this.#heardAt = this.#succeededAt = this.#now();
  }

  #failed(): void {
    const now = this.#now();
    this.#failedAt = now;
    if (now - Math.max(this.#succeededAt, this.#since) >= this.#staleAfterMs) {
      for (const listener of this.#staleListeners) listener();
    }
  }

  /** `pending`, or a {@link DatabaseUnreachableError} once nothing was heard for the silence bound. */
  #bounded<T>(pending: Promise<T>, started: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const left = () => Math.max(started, this.#heardAt) + this.#silenceMs - this.#now();
      const check = () => {
        if (left() > 0) {
          timer = setTimeout(check, left());
          return;
        }
        // A timer can fire late, after the process itself was held up (a busy event loop, a starved
        // CPU) while answers and heartbeats waited unread in its sockets. Judge only once the event
        // loop has read what has arrived: I/O callbacks run before `setImmediate` callbacks.
        setImmediate(() => {
          if (left() > 0) {
            timer = setTimeout(check, left());
            return;
          }
          pending.catch(() => {}); // given up: its own failure is of no interest any more
          reject(new DatabaseUnreachableError('silent', this.#silenceMs));
        });
      };
      check();
      pending.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/** The container's watch over its one database (its bounds come from the client's configuration). */
export const databaseWatch = new DatabaseWatch({ silenceMs: 5_000 });
