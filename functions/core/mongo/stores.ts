import type { MongoClient } from 'mongodb';
import type { OrgStores } from '../orgs/stores.ts';
import type { PlacementPolicy } from '../tenancy/placement-policy.ts';
import { mongoAdminStore } from './admin-store.ts';
import { mongoRefreshTokenStore } from './auth-stores.ts';
import { withUnavailableMapping } from './errors.ts';
import { mongoEventStore } from './event-store.ts';
import { mongoJobStore } from './job-store.ts';
import { mongoOperationLockStore } from './lock-store.ts';
import { mongoMembershipStore } from './membership-store.ts';
import { mongoNameClaimStore } from './name-claim-store.ts';
import { mongoOrganizationStore } from './organization-store.ts';
import { mongoRoleStore } from './role-store.ts';
import { MongoTenantSpaces } from './tenant-spaces.ts';

/** The MongoDB adapters for the organization ports: one per file, put together here. */

export { MongoAdminStore, mongoAdminStore } from './admin-store.ts';
export { MongoOperationLockStore, mongoOperationLockStore } from './lock-store.ts';
export { MongoNameClaimStore, mongoNameClaimStore } from './name-claim-store.ts';
export { MongoOrganizationStore, mongoOrganizationStore } from './organization-store.ts';
export { MongoTenantSpaces } from './tenant-spaces.ts';

/** The MongoDB implementation of every organization port, with outages mapped to 503. */
export function mongoOrgStores(client: MongoClient, masterDb: string, policy: PlacementPolicy): OrgStores {
  const db = client.db(masterDb);
  return {
    orgs: mongoOrganizationStore(db),
    locks: mongoOperationLockStore(db),
    names: mongoNameClaimStore(db),
    admins: mongoAdminStore(db),
    memberships: mongoMembershipStore(db),
    roles: mongoRoleStore(db),
    tenants: withUnavailableMapping(new MongoTenantSpaces(client, policy)),
    sessions: mongoRefreshTokenStore(db),
    events: mongoEventStore(db),
    jobs: mongoJobStore(db),
  };
}
