import type { Placement } from '#core/orgs/model.ts';
import type { OrgDataStore } from '#core/orgs/stores.ts';

/**
 * An in-memory {@link OrgDataStore}: documents per collection and organization, as counts. A test
 * puts some in with {@link FakeOrgDataStore.put}; a place's documents come from `placeCount`.
 */
export class FakeOrgDataStore implements OrgDataStore {
  readonly collections: readonly string[] = ['invitations', 'webhook_endpoints', 'org_usage'];
  readonly counted: readonly string[] = this.collections;
  readonly #docs = new Map<string, number>();
  /** How many documents a place holds, by `database.collection`. */
  readonly placeCount = new Map<string, number>();

  /** Adds `n` documents of `orgId` to `collection`. */
  put(collection: string, orgId: string, n: number): void {
    this.#docs.set(`${collection}:${orgId}`, (this.#docs.get(`${collection}:${orgId}`) ?? 0) + n);
  }

  async count(collection: string, orgId: string): Promise<number> {
    return this.#docs.get(`${collection}:${orgId}`) ?? 0;
  }

  async remove(collection: string, orgId: string): Promise<void> {
    this.#docs.delete(`${collection}:${orgId}`);
  }

  async countPlace(placement: Placement): Promise<number> {
    return this.placeCount.get(`${placement.database}.${placement.collection}`) ?? 0;
  }
}
