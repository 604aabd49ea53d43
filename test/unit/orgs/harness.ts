import { createPasswordHasher } from '#core/auth/passwords.ts';
import type { CallerIdentity } from '#core/auth/tokens.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OperationLock, Organization, PlacementMode } from '#core/orgs/model.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { type FakeOrgStores, fakeOrgStores } from '../../support/fakes/index.ts';

/**
 * The organization service over in-memory stores and a clock the test moves: no database, no waiting
 * for a lease to lapse. bcrypt at cost 4.
 */

/** The service's lease: long, since the clock only moves when a test moves it. */
export const LEASE_MS = 60_000;
/** The tenant database the placement policy names places in. */
export const TENANT_DB = 'tenants';
/** Every test admin's password. */
export const password = 'a long secret';
const hasher = createPasswordHasher(4);

/** A service over fresh fakes, and the controls a test needs. */
export interface Harness {
  readonly stores: FakeOrgStores;
  /** The service as seen through `stores` (default: the fakes themselves), in placement mode `mode`. */
  service(stores?: OrgStores, mode?: PlacementMode): OrganizationService;
  now(): Date;
  /** Moves the clock on by `ms`. */
  advance(ms: number): void;
  /** Moves the clock past one lease. */
  lapse(): void;
  /** Creates an organization with an admin (email derived from the name unless given). */
  createOrg(name: string, email?: string, mode?: PlacementMode): Promise<{ org: Organization; caller: CallerIdentity }>;
  /** Takes the organization's lock as a live run would (started now). */
  holdLock(orgId: string, kind?: OperationLock['kind'], lockId?: string): Promise<OperationLock>;
  /** The organization's document as stored now. */
  current(orgId: string): Promise<Organization | null>;
}

/** A fresh harness; new organizations get `defaultMode`'s placement unless a call says otherwise. */
export function harness(defaultMode: PlacementMode = 'collection'): Harness {
  const stores = fakeOrgStores();
  const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
  const now = () => new Date(clock.t);
  const service = (s: OrgStores = stores, mode: PlacementMode = defaultMode) =>
    new OrganizationService({
      stores: s,
      hasher,
      placements: new PlacementPolicy(TENANT_DB, mode, collectionLabel),
      leaseMs: LEASE_MS,
      now,
      // The clock only moves when a test moves it, so a failed job step is not retried after a backoff.
      jobs: { maxAttempts: 1, moveBatch: 2 },
    });
  return {
    stores,
    service,
    now,
    advance: (ms) => {
      clock.t += ms;
    },
    lapse: () => {
      clock.t += LEASE_MS + 1;
    },
    async createOrg(name, email = `${name.toLowerCase().replaceAll(' ', '-')}@example.test`, mode = defaultMode) {
      const { org } = await service(stores, mode).create({ name, email, password });
      return { org, caller: { userId: org.adminId, orgId: org.id } };
    },
    async holdLock(orgId, kind = 'update', lockId = 'live-run') {
      const lock: OperationLock = { orgId, lockId, kind, startedAt: now() };
      if (!(await stores.locks.acquire(lock))) throw new Error('lock already held');
      return lock;
    },
    current: (orgId) => stores.orgs.findById(orgId),
  };
}
