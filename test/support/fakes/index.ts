import type { OrgStores } from '#core/orgs/stores.ts';
import { FakeAdminStore } from './admins.ts';
import { FakeEventStore } from './events.ts';
import { FakeJobStore } from './jobs.ts';
import { FakeOperationLockStore } from './locks.ts';
import { FakeMembershipStore, FakeRoleStore } from './members.ts';
import { FakeNameClaimStore } from './names.ts';
import { FakeOrganizationStore } from './organizations.ts';
import { FakeSessionCleanup } from './sessions.ts';
import { FakeTenantSpaces } from './tenants.ts';

export { FakeAdminStore } from './admins.ts';
export { FakeEventStore } from './events.ts';
export { FakeJobStore } from './jobs.ts';
export { FakeOperationLockStore } from './locks.ts';
export { FakeMemberLockStore, FakeMembershipStore, FakeRoleStore } from './members.ts';
export { FakeNameClaimStore } from './names.ts';
export { FakeOrganizationStore } from './organizations.ts';
export { FakeRecordStore } from './records.ts';
export { FakeSessionCleanup } from './sessions.ts';
export { type FakeRecord, FakeTenantSpaces } from './tenants.ts';

/** Every organization port in memory, each typed as its fake so a test can look inside. */
export interface FakeOrgStores extends OrgStores {
  readonly orgs: FakeOrganizationStore;
  readonly locks: FakeOperationLockStore;
  readonly names: FakeNameClaimStore;
  readonly admins: FakeAdminStore;
  readonly memberships: FakeMembershipStore;
  readonly roles: FakeRoleStore;
  readonly tenants: FakeTenantSpaces;
  readonly sessions: FakeSessionCleanup;
  readonly events: FakeEventStore;
  readonly jobs: FakeJobStore;
}

/** A fresh, empty set of in-memory organization stores. */
export function fakeOrgStores(): FakeOrgStores {
  return {
    orgs: new FakeOrganizationStore(),
    locks: new FakeOperationLockStore(),
    names: new FakeNameClaimStore(),
    admins: new FakeAdminStore(),
    memberships: new FakeMembershipStore(),
    roles: new FakeRoleStore(),
    tenants: new FakeTenantSpaces(),
    sessions: new FakeSessionCleanup(),
    events: new FakeEventStore(),
    jobs: new FakeJobStore(),
  };
}

/** Which call fails: `store.method`, on its `at`-th call (1-based; default every call), with `error`. */
export interface Fault {
  readonly call: `${keyof OrgStores}.${string}`;
  readonly at?: number;
  readonly error?: Error;
}

/**
 * The stores with faults injected: each fault's call rejects (with `error`, default `Error('injected')`)
 * on its `at`-th call, or on every call when `at` is absent; everything else goes to `stores`.
 * `calls` lists every call made, as `store.method`.
 */
export function withFaults(stores: OrgStores, ...faults: Fault[]): { stores: OrgStores; calls: string[] } {
  const calls: string[] = [];
  const counts = new Map<string, number>();
  const wrap = <T extends object>(store: T, storeName: string): T =>
    new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const call = `${storeName}.${String(prop)}`;
          calls.push(call);
          const n = (counts.get(call) ?? 0) + 1;
          counts.set(call, n);
          const fault = faults.find((f) => f.call === call && (f.at === undefined || f.at === n));
          if (fault) return Promise.reject(fault.error ?? new Error(`injected fault at ${call} #${n}`));
          return value.apply(target, args);
        };
      },
    });
  const wrapped = Object.fromEntries(
    Object.entries(stores).map(([name, store]) => [name, wrap(store, name)]),
  ) as unknown as OrgStores;
  return { stores: wrapped, calls };
}

/**
 * The stores with one method wrapped: `around` gets the original (bound to its store) and the call's
 * arguments, and answers in its place (to hold a call at a gate, or to make something happen first).
 */
export function interpose<S extends keyof OrgStores>(
  stores: OrgStores,
  store: S,
  method: keyof OrgStores[S] & string,
  around: (original: (...args: any[]) => Promise<any>, args: any[]) => Promise<any>,
): OrgStores {
  const target = stores[store] as object;
  const wrapped = new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop);
      if (typeof value !== 'function') return value;
      const bound = value.bind(t) as (...args: any[]) => Promise<any>;
      return prop === method ? (...args: any[]) => around(bound, args) : bound;
    },
  });
  return { ...stores, [store]: wrapped };
}
