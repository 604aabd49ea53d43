import type { SessionCleanup } from '#core/orgs/stores.ts';

/** An in-memory {@link SessionCleanup}: sessions by organization id; removal is idempotent. */
export class FakeSessionCleanup implements SessionCleanup {
  readonly #sessions = new Map<string, Set<string>>();

  /** Records a session of the organization (a login, in a test). */
  open(orgId: string, sessionId: string): void {
    const sessions = this.#sessions.get(orgId) ?? new Set<string>();
    sessions.add(sessionId);
    this.#sessions.set(orgId, sessions);
  }

  async removeByOrg(orgId: string): Promise<void> {
    this.#sessions.delete(orgId);
  }

  /** The organization's open sessions, for assertions. */
  of(orgId: string): string[] {
    return [...(this.#sessions.get(orgId) ?? [])];
  }
}
