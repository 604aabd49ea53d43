import { TokenGuard } from './auth/guard.ts';
import { LoginService } from './auth/login.ts';
import { createPasswordHasher } from './auth/passwords.ts';
import { SessionService } from './auth/sessions.ts';
import type { AuthStores } from './auth/stores.ts';
import { LoginThrottle } from './auth/throttle.ts';
import { createTokenSigner, createTokenVerifier, type KeyMaterial } from './auth/tokens.ts';
import { once } from './cache.ts';
import {
  databaseConfig,
  guardConfig,
  orgsConfig,
  placementConfig,
  type SecretSource,
  sessionConfig,
  signerConfig,
  verifierConfig,
} from './config.ts';
import { mongoAuthStores } from './mongo/auth-stores.ts';
import { getMongoClient } from './mongo/client.ts';
import { afterSetup, callDatabase, mapOutage, withUnavailableMapping } from './mongo/errors.ts';
import { MongoRecordStore } from './mongo/record-store.ts';
import { ensureMasterIndexes, mongoOrgStores } from './mongo/stores.ts';
import { OrganizationService } from './orgs/service.ts';
import type { OrgStores } from './orgs/stores.ts';
import { RecordsService } from './records/service.ts';
import type { RecordStore } from './records/stores.ts';
import { readSecretSource } from './secrets.ts';
import { PlacementPolicy } from './tenancy/router.ts';

/**
 * The composition root: real stores over the container's one MongoClient. Each factory reads its
 * configuration when a handler module calls it (at cold start, where a bad setting fails fast); the
 * client, indexes and keys on first use.
 */

export interface Stores {
  readonly org: OrgStores;
  readonly auth: AuthStores;
  readonly records: RecordStore;
}

/** Where this deployment puts organizations' data (PLACEMENT_MODE, TENANT_DB_NAME). */
export function placementPolicy(): PlacementPolicy {
  return new PlacementPolicy(databaseConfig().tenantDb, placementConfig().mode);
}

export function storesFactory(): () => Promise<Stores> {
  const db = databaseConfig();
  const policy = placementPolicy();
  return once(async () => {
    try {
      const client = await getMongoClient(db);
      // Indexes are ensured before the first store call, not here: building the stores costs no
      // round trip, so the authorizer's bounded revocation look-up is the only wait it has.
      const indexes = once(() => callDatabase(() => ensureMasterIndexes(client, db.masterDb)));
      return afterSetup(
        {
          org: mongoOrgStores(client, db.masterDb, policy),
          auth: mongoAuthStores(client.db(db.masterDb)),
          records: withUnavailableMapping(new MongoRecordStore(client)),
        },
        indexes,
      );
    } catch (error) {
      throw mapOutage(error); // a secret fetch that failed: retried on the next call
    }
  });
}

/** Key material read from the environment or Secrets Manager, re-read after `maxAgeMs`. */
function keyMaterial(source: SecretSource, maxAgeMs: number): KeyMaterial {
  return ({ fresh }) => readSecretSource(source, { maxAgeMs: fresh ? 0 : maxAgeMs });
}

/** The organization use cases, for the org-* handlers. */
export function organizations(): () => Promise<OrganizationService> {
  const orgs = orgsConfig();
  const placements = placementPolicy();
  const stores = storesFactory();
  const hasher = createPasswordHasher(orgs.bcryptCost);
  return once(
    async () =>
      new OrganizationService({
        stores: (await stores()).org,
        hasher,
        placements,
        leaseMs: orgs.operationLeaseMs,
      }),
  );
}

/** The records use cases, for the records-* handlers. */
export function records(): () => Promise<RecordsService> {
  const { cacheMs } = placementConfig();
  const stores = storesFactory();
  const orgService = organizations();
  return once(async () => {
    const s = await stores();
    const settler = await orgService();
    return new RecordsService({
      orgs: s.org.orgs,
      records: s.records,
      // A place is removed only while no organization uses it or moves data to or from it; its name is
      // never used again, so it cannot become live after that check.
      releasePlace: async (place) => {
        if (!(await s.org.orgs.isPlaceInUse(place))) await s.org.tenants.drop(place);
      },
      settleAbandoned: (orgId) => settler.settleAbandoned(orgId),
      cacheMs,
    });
  });
}

function sessionsWith(stores: () => Promise<Stores>, options: { signing: boolean }): () => Promise<SessionService> {
  const { keyMaxAgeMs } = guardConfig();
  const { refreshTtlMs } = sessionConfig();
  let signer: ReturnType<typeof createTokenSigner> | undefined;
  if (options.signing) {
    const tokens = signerConfig();
    signer = createTokenSigner({ ...tokens, privateKey: keyMaterial(tokens.privateKey, keyMaxAgeMs), keyMaxAgeMs });
  }
  return once(async () => {
    const s = await stores();
    return new SessionService({
      admins: s.org.admins,
      orgs: s.org.orgs,
      refreshTokens: s.auth.refreshTokens,
      revocations: s.auth.revocations,
      signer,
      refreshTtlMs,
    });
  });
}

/** Refresh (which signs new tokens), for the admin-refresh handler. */
export function sessions(): () => Promise<SessionService> {
  return sessionsWith(storesFactory(), { signing: true });
}

/** Logout and logout everywhere, for the admin-logout* handlers: no signing key needed. */
export function logouts(): () => Promise<SessionService> {
  return sessionsWith(storesFactory(), { signing: false });
}

/** The login use case, for the admin-login handler. */
export function logins(): () => Promise<LoginService> {
  const orgs = orgsConfig();
  const limits = sessionConfig();
  const stores = storesFactory();
  const sessionService = sessionsWith(stores, { signing: true });
  const hasher = createPasswordHasher(orgs.bcryptCost);
  return once(async () => {
    const s = await stores();
    const throttle = new LoginThrottle(s.auth.attempts, {
      maxFailuresPerEmail: limits.maxFailuresPerEmail,
      maxFailuresPerIp: limits.maxFailuresPerIp,
      windowMs: limits.failureWindowMs,
    });
    return new LoginService({ admins: s.org.admins, orgs: s.org.orgs, hasher, sessions: await sessionService(), throttle });
  });
}

/** Token verification with revocation, for the authorizer. */
export function tokenGuard(): () => Promise<TokenGuard> {
  const config = verifierConfig();
  const { revocationCacheMs, keyMaxAgeMs } = guardConfig();
  const verifier = createTokenVerifier({ ...config, publicKeys: keyMaterial(config.publicKeys, keyMaxAgeMs), keyMaxAgeMs });
  const stores = storesFactory();
  return once(async () => {
    const s = await stores();
    return new TokenGuard({ verifier, admins: s.org.admins, revocations: s.auth.revocations, cacheMs: revocationCacheMs });
  });
}
