/**
 * Runs the updates of one document one after another within this process.
 *
 * - MongoDB: an update's operators (`$inc`, a conditional filter) are applied atomically under the
 *   document's lock, so concurrent counters are exact.
 * - FerretDB 1.24 (the embedded test and local database) applies them by reading the document and
 *   writing it back, without a lock: 200 concurrent `$inc` of one document on its SQLite backend
 *   left the counter at 41, each update reporting a match.
 * - So: the counters of the rate limit and the meters (`usage-store.ts`) pass through a queue per
 *   document. In Lambda a container serves one request at a time, so nothing ever waits there; the
 *   local API, which serves every request in one process, gets exact counts on FerretDB too.
 */
const REGISTRY = Symbol.for('orgs-service.serial-per-key');

export class SerialPerKey {
  readonly #tails = new Map<string, Promise<unknown>>();

  /**
   * The process's one queue named `name`, shared by every copy of this module a process loads (the
   * tests load the functions' modules afresh per simulated container; they share one process).
   */
  static shared(name: string): SerialPerKey {
    const holder = globalThis as { [REGISTRY]?: Map<string, SerialPerKey> };
    const registry = holder[REGISTRY] ?? new Map<string, SerialPerKey>();
    holder[REGISTRY] = registry;
    let queue = registry.get(name);
    if (!queue) {
      queue = new SerialPerKey();
      registry.set(name, queue);
    }
    return queue;
  }

  /** Runs `step` after every step of `key` this process started before it; its result or error. */
  run<T>(key: string, step: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(step, step);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
