import type { NameClaim } from '#core/orgs/model.ts';
import type { NameClaimStore } from '#core/orgs/stores.ts';
import { copy } from './copy.ts';

/**
 * An in-memory {@link NameClaimStore} with the semantics of `MongoNameClaimStore`: one claim per slug
 * (an insert under the slug), released only by the organization holding it; releases are idempotent.
 */
export class FakeNameClaimStore implements NameClaimStore {
  readonly #claims = new Map<string, NameClaim>();

  async claim(claim: NameClaim): Promise<boolean> {
    if (this.#claims.has(claim.slug)) return false;
    this.#claims.set(claim.slug, copy(claim));
    return true;
  }

  async find(slug: string): Promise<NameClaim | null> {
    const claim = this.#claims.get(slug);
    return claim ? copy(claim) : null;
  }

  async release(slug: string, orgId: string): Promise<void> {
    if (this.#claims.get(slug)?.orgId === orgId) this.#claims.delete(slug);
  }

  async releaseAllOf(orgId: string): Promise<void> {
    for (const [slug, claim] of this.#claims) if (claim.orgId === orgId) this.#claims.delete(slug);
  }

  async listClaimedBefore(before: Date): Promise<NameClaim[]> {
    return [...this.#claims.values()].filter((claim) => claim.claimedAt < before).map(copy);
  }

  /** Every claim, for assertions. */
  all(): NameClaim[] {
    return [...this.#claims.values()].map(copy);
  }
}
