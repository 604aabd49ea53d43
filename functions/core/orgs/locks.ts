import { ConflictError } from '../errors.ts';
import { randomToken } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import { lastAlive, type OperationLock } from './model.ts';
import type { OperationLockStore } from './stores.ts';

/** 409 with Retry-After: another change to the organization is running and will end. */
export const operationInProgress = () =>
  new ConflictError('operation_in_progress', 'Another change to this organization is in progress; retry shortly.', {
    retryAfterSeconds: 1,
  });

/**
 * Organizations' operation locks with leases (see {@link OperationLock}). A lock is an insert under the
 * organization id, atomic on every MongoDB flavour; its holder renews its lease while it works (a
 * heartbeat every third of the lease), so only a run that stopped (its container died or froze) is
 * ever taken over, however long the work takes.
 */
export class OperationLocks {
  readonly #store: OperationLockStore;
  readonly #leaseMs: number;
  readonly #now: () => Date;

  /** `leaseMs`: how long a run may go without renewing before another may take its work over. */
  constructor(store: OperationLockStore, leaseMs: number, now: () => Date) {
    this.#store = store;
    this.#leaseMs = leaseMs;
    this.#now = now;
  }

  /** True when something last alive at `at` has been silent for a whole lease. */
  lapsed(at: Date): boolean {
    return at < this.#lapsedBefore();
  }

  /** The cut-off of {@link lapsed}: last alive before it means silent for a whole lease or more. */
  #lapsedBefore(): Date {
    return new Date(this.#now().getTime() - this.#leaseMs + 1);
  }

  /** Releases `held` if its lease has lapsed and it is still silent at the delete (one conditional delete). */
  async #releaseIfLapsed(held: OperationLock): Promise<boolean> {
    if (!this.lapsed(lastAlive(held))) return false;
    return this.#store.releaseLapsed(held.orgId, held.lockId, this.#lapsedBefore());
  }

  /**
   * Runs `work` holding the organization's lock, renewing its lease meanwhile, and releases it after.
   * Takes over a lock whose lease has lapsed; {@link operationInProgress} (409) while a live run holds it.
   * A renewal that finds the lock taken over stops; the run's own later changes of the organization are
   * then refused by their fencing token (the operation's `owner`, which is the lock id).
   */
  async hold<T>(orgId: string, kind: OperationLock['kind'], work: (lock: OperationLock) => Promise<T>): Promise<T> {
    const lock = await this.#acquire(orgId, kind);
    try {
      return await this.#renewing(lock, () => work(lock));
    } finally {
      await this.#release(lock);
    }
  }

  /** Takes the lock for a delete, or shares one another delete holds: deletes are idempotent and may overlap. */
  async shareForDelete(orgId: string): Promise<void> {
    try {
      await this.#acquire(orgId, 'delete');
    } catch (error) {
      if (!(error instanceof ConflictError) || (await this.#store.find(orgId))?.kind !== 'delete') throw error;
    }
  }

  /**
   * Releases the organization's lock if its lease has lapsed: the run that held it stopped before
   * its release (the database went away between its last write and the release, say). A live run's
   * lock stays.
   *
   * @returns true when a lapsed lock was released (false when none was held, its holder is alive, or
   *   a renewal landed between the look and the release).
   * @throws a store failure; the lock stays, and lapses on (the reconciler removes it too).
   */
  async releaseLapsed(orgId: string): Promise<boolean> {
    const held = await this.#store.find(orgId);
    return held ? this.#releaseIfLapsed(held) : false;
  }

  async #acquire(orgId: string, kind: OperationLock['kind']): Promise<OperationLock> {
    const lock: OperationLock = { orgId, lockId: randomToken(), kind, startedAt: this.#now() };
    if (await this.#store.acquire(lock)) return lock;
    const held = await this.#store.find(orgId);
    if (held && !this.lapsed(lastAlive(held))) throw operationInProgress(); // alive: its owner renews it
    // Only if still lapsed: a heartbeat that lands meanwhile keeps its run's lock (then 409 below).
    if (held) await this.#releaseIfLapsed(held);
    if (await this.#store.acquire(lock)) return lock;
    throw operationInProgress();
  }

  async #renewing<T>(lock: OperationLock, work: () => Promise<T>): Promise<T> {
    let beating = true;
    const beat = async () => {
      try {
        if (!(await this.#store.renew(lock.orgId, lock.lockId, this.#now()))) beating = false;
      } catch (error) {
        if (beating) log.warn('lease not renewed; trying again at the next beat', { orgId: lock.orgId, ...errorFields(error) });
      }
    };
    const timer = setInterval(
      () => {
        if (beating) void beat();
      },
      Math.max(1, Math.floor(this.#leaseMs / 3)),
    );
    timer.unref?.();
    try {
      return await work();
    } finally {
      beating = false;
      clearInterval(timer);
    }
  }

  /** Releases a lock; if that fails, the lock lapses with its lease (and reconcile removes it). */
  async #release(lock: OperationLock): Promise<void> {
    await this.#store
      .release(lock.orgId, lock.lockId)
      .catch((error) => log.warn('lock not released; it lapses with its lease', { orgId: lock.orgId, ...errorFields(error) }));
  }
}
