import type { CustomRole, Membership } from '#core/members/model.ts';
import type { MemberLockStore, MembershipPage, MembershipStore, RoleStore } from '#core/members/stores.ts';
import { copy } from './copy.ts';

/**
 * In-memory member ports with the semantics of their MongoDB adapters: a membership keyed
 * `<orgId>:<userId>` (unique), pages in key order with the last key as cursor; custom roles keyed
 * `<orgId>:<name>`; a member lock that is free again once its lease has passed.
 */

const key = (orgId: string, second: string) => `${orgId}:${second}`;

export class FakeMembershipStore implements MembershipStore {
  readonly #docs = new Map<string, Membership>();

  async insert(m: Membership): Promise<'ok' | 'exists'> {
    const k = key(m.orgId, m.userId);
    if (this.#docs.has(k)) return 'exists';
    this.#docs.set(k, copy(m));
    return 'ok';
  }

  async find(orgId: string, userId: string): Promise<Membership | null> {
    const doc = this.#docs.get(key(orgId, userId));
    return doc ? copy(doc) : null;
  }

  async page(orgId: string, limit: number, after?: string): Promise<MembershipPage> {
    const keys = [...this.#docs.keys()].filter((k) => k.startsWith(`${orgId}:`) && (!after || k > after)).sort();
    const items = keys.slice(0, limit).map((k) => copy(this.#docs.get(k) as Membership));
    return keys.length > limit ? { items, next: keys[limit - 1] } : { items };
  }

  async listByUser(userId: string, limit: number): Promise<Membership[]> {
    return [...this.#docs.values()]
      .filter((m) => m.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit)
      .map(copy);
  }

  async setRole(orgId: string, userId: string, role: string, at: Date): Promise<boolean> {
    const doc = this.#docs.get(key(orgId, userId));
    if (!doc) return false;
    this.#docs.set(key(orgId, userId), { ...doc, role, updatedAt: new Date(at) });
    return true;
  }

  async remove(orgId: string, userId: string): Promise<boolean> {
    return this.#docs.delete(key(orgId, userId));
  }

  async countWithRole(orgId: string, role: string, cap: number): Promise<number> {
    return Math.min(cap, [...this.#docs.values()].filter((m) => m.orgId === orgId && m.role === role).length);
  }

  async count(orgId: string, cap: number): Promise<number> {
    return Math.min(cap, [...this.#docs.values()].filter((m) => m.orgId === orgId).length);
  }

  async usersElsewhere(userIds: readonly string[], orgId: string): Promise<Set<string>> {
    return new Set([...this.#docs.values()].filter((m) => m.orgId !== orgId && userIds.includes(m.userId)).map((m) => m.userId));
  }

  async removeByOrg(orgId: string): Promise<void> {
    for (const [k, m] of this.#docs) if (m.orgId === orgId) this.#docs.delete(k);
  }

  /** Every membership, for assertions. */
  all(): Membership[] {
    return [...this.#docs.values()].map(copy);
  }
}

export class FakeRoleStore implements RoleStore {
  readonly #docs = new Map<string, CustomRole>();

  async insert(role: CustomRole): Promise<'ok' | 'exists'> {
    const k = key(role.orgId, role.name);
    if (this.#docs.has(k)) return 'exists';
    this.#docs.set(k, copy(role));
    return 'ok';
  }

  async find(orgId: string, name: string): Promise<CustomRole | null> {
    const doc = this.#docs.get(key(orgId, name));
    return doc ? copy(doc) : null;
  }

  async list(orgId: string): Promise<CustomRole[]> {
    return [...this.#docs.entries()]
      .filter(([k]) => k.startsWith(`${orgId}:`))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, r]) => copy(r));
  }

  async update(
    orgId: string,
    name: string,
    changes: Pick<CustomRole, 'permissions' | 'description'>,
    at: Date,
  ): Promise<CustomRole | null> {
    const doc = this.#docs.get(key(orgId, name));
    if (!doc) return null;
    const next: CustomRole = {
      ...doc,
      permissions: [...changes.permissions],
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      updatedAt: new Date(at),
    };
    this.#docs.set(key(orgId, name), next);
    return copy(next);
  }

  async remove(orgId: string, name: string): Promise<boolean> {
    return this.#docs.delete(key(orgId, name));
  }

  async removeByOrg(orgId: string): Promise<void> {
    for (const [k, r] of this.#docs) if (r.orgId === orgId) this.#docs.delete(k);
  }
}

export class FakeMemberLockStore implements MemberLockStore {
  readonly #locks = new Map<string, { lockId: string; expiresAt: number }>();

  async acquire(orgId: string, lockId: string, now: Date, leaseMs: number): Promise<boolean> {
    const held = this.#locks.get(orgId);
    if (held && held.expiresAt > now.getTime()) return false;
    this.#locks.set(orgId, { lockId, expiresAt: now.getTime() + leaseMs });
    return true;
  }

  async holds(orgId: string, lockId: string, now: Date): Promise<boolean> {
    const held = this.#locks.get(orgId);
    return held?.lockId === lockId && held.expiresAt > now.getTime();
  }

  async release(orgId: string, lockId: string): Promise<void> {
    if (this.#locks.get(orgId)?.lockId === lockId) this.#locks.delete(orgId);
  }
}
