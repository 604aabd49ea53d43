import { lastAlive, type OperationLock } from '#core/orgs/model.ts';
import type { OperationLockStore } from '#core/orgs/stores.ts';
import { copy, isObjectId } from './copy.ts';

/**
 * An in-memory {@link OperationLockStore} with the semantics of `MongoOperationLockStore`: one lock
 * per organization (an insert under its id), released and renewed only by the holder's `lockId` (the
 * fencing token) when one is given; `listStartedBefore` compares when the lock was last alive.
 */
export class FakeOperationLockStore implements OperationLockStore {
  readonly #locks = new Map<string, OperationLock>();

  async acquire(lock: OperationLock): Promise<boolean> {
    if (!isObjectId(lock.orgId) || this.#locks.has(lock.orgId)) return false;
    this.#locks.set(lock.orgId, copy(lock));
    return true;
  }

  async find(orgId: string): Promise<OperationLock | null> {
    const lock = this.#locks.get(orgId);
    return lock ? copy(lock) : null;
  }

  async release(orgId: string, lockId?: string): Promise<void> {
    const lock = this.#locks.get(orgId);
    if (lock && (lockId === undefined || lock.lockId === lockId)) this.#locks.delete(orgId);
  }

  async releaseLapsed(orgId: string, lockId: string, before: Date): Promise<boolean> {
    const lock = this.#locks.get(orgId);
    if (!lock || lock.lockId !== lockId || !(lastAlive(lock) < before)) return false;
    this.#locks.delete(orgId);
    return true;
  }

  async renew(orgId: string, lockId: string, at: Date): Promise<boolean> {
    const lock = this.#locks.get(orgId);
    if (!lock || lock.lockId !== lockId) return false;
    this.#locks.set(orgId, { ...lock, renewedAt: new Date(at) });
    return true;
  }

  async listStartedBefore(before: Date): Promise<OperationLock[]> {
    return [...this.#locks.values()].filter((lock) => lastAlive(lock) < before).map(copy);
  }

  /** Every lock, for assertions. */
  all(): OperationLock[] {
    return [...this.#locks.values()].map(copy);
  }
}
