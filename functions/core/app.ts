import { LoginService } from './auth/login.ts';
import { createPasswordHasher } from './auth/passwords.ts';
import { createTokenSigner } from './auth/tokens.ts';
import { databaseConfig, orgsConfig, signerConfig } from './config.ts';
import { getMongoClient } from './mongo/client.ts';
import { mapOutage } from './mongo/errors.ts';
import { ensureMasterIndexes, mongoOrgStores } from './mongo/stores.ts';
import { OrganizationService } from './orgs/service.ts';
import type { OrgStores } from './orgs/stores.ts';
import { readSecretSource } from './secrets.ts';
import { collectionPlacement } from './tenancy/router.ts';

/**
 * The composition root: real stores over the container's one MongoClient. Configuration is read
 * when a handler module first asks (at cold start, where a bad setting fails fast); the client and
 * indexes on first use.
 */

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = make();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

export function storesFactory(): () => Promise<OrgStores> {
  const db = databaseConfig();
  return once(async () => {
    try {
      const client = await getMongoClient(db);
      await ensureMasterIndexes(client, db.masterDb);
      return mongoOrgStores(client, db.masterDb);
    } catch (error) {
      throw mapOutage(error); // a secret fetch or first connection that failed: retried on the next call
    }
  });
}

/** The organization use cases, for the org-* handlers. */
export function organizations(): () => Promise<OrganizationService> {
  const db = databaseConfig();
  const orgs = orgsConfig();
  const stores = storesFactory();
  const hasher = createPasswordHasher(orgs.bcryptCost);
  return once(
    async () =>
      new OrganizationService({
        stores: await stores(),
        hasher,
        placementFor: (slug) => collectionPlacement(db.tenantDb, slug),
        leaseMs: orgs.operationLeaseMs,
      }),
  );
}

/** The login use case, for the admin-login handler. */
export function logins(): () => Promise<LoginService> {
  const orgs = orgsConfig();
  const tokens = signerConfig();
  const signer = createTokenSigner({ ...tokens, privateKey: () => readSecretSource(tokens.privateKey) });
  const stores = storesFactory();
  const hasher = createPasswordHasher(orgs.bcryptCost);
  return once(async () => {
    const s = await stores();
    return new LoginService({ admins: s.admins, orgs: s.orgs, hasher, signer });
  });
}
