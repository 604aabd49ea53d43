import type { CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import { MASTER_COLLECTIONS as C, type MasterCollection } from './collections.ts';
import { isTtlIndexUnsupported } from './compat.ts';

/**
 * The master database's indexes, created once per deploy by the database setup (the `db-setup`
 * function, `npm start`, the tests), never on a request path. Creating an index that exists with the
 * same key and options does nothing, so the setup can run any number of times.
 */

export interface MasterIndex {
  readonly collection: MasterCollection;
  readonly key: IndexSpecification;
  readonly options: CreateIndexesOptions & { readonly name: string };
  /** Expires documents at `expiresAt`; queries filter on `expiresAt` as well, so this only reclaims space. */
  readonly ttl?: true;
}

const ttl = (collection: MasterCollection): MasterIndex => ({
  collection,
  key: { expiresAt: 1 },
  options: { name: 'expires', expireAfterSeconds: 0 },
  ttl: true,
});

export const MASTER_INDEXES: readonly MasterIndex[] = [
  { collection: C.organizations, key: { slug: 1 }, options: { name: 'slug_unique', unique: true } },
  { collection: C.admins, key: { email: 1 }, options: { name: 'email_unique', unique: true } },
  { collection: C.admins, key: { orgId: 1 }, options: { name: 'org' } },
  { collection: C.admins, key: { schemaVersion: 1 }, options: { name: 'schema_version' } },
  { collection: C.memberships, key: { orgId: 1, _id: 1 }, options: { name: 'org_id' } },
  { collection: C.memberships, key: { orgId: 1, role: 1 }, options: { name: 'org_role' } },
  { collection: C.memberships, key: { userId: 1, createdAt: 1 }, options: { name: 'user_created' } },
  { collection: C.roles, key: { orgId: 1 }, options: { name: 'org' } },
  { collection: C.invitations, key: { openKey: 1 }, options: { name: 'open_unique', unique: true } },
  { collection: C.invitations, key: { tokenHash: 1 }, options: { name: 'token_unique', unique: true } },
  { collection: C.invitations, key: { orgId: 1, _id: 1 }, options: { name: 'org_id' } },
  { collection: C.outbox, key: { state: 1, nextAttemptAt: 1 }, options: { name: 'state_due' } },
  { collection: C.events, key: { orgId: 1, seq: 1 }, options: { name: 'org_seq_unique', unique: true } },
  { collection: C.events, key: { state: 1, time: 1 }, options: { name: 'state_time' } },
  { collection: C.events, key: { dispatch: 1, committedAt: 1 }, options: { name: 'dispatch_due' } },
  ttl(C.events),
  { collection: C.webhookEndpoints, key: { orgId: 1, _id: 1 }, options: { name: 'org_id' } },
  { collection: C.webhookDeliveries, key: { state: 1, nextAttemptAt: 1 }, options: { name: 'state_due' } },
  { collection: C.webhookAttempts, key: { endpointId: 1, _id: -1 }, options: { name: 'endpoint_id' } },
  ttl(C.webhookAttempts),
  { collection: C.jobs, key: { orgId: 1, _id: -1 }, options: { name: 'org_id' } },
  { collection: C.jobs, key: { state: 1, runAfter: 1 }, options: { name: 'state_due' } },
  { collection: C.jobs, key: { state: 1, renewedAt: 1 }, options: { name: 'state_renewed' } },
  { collection: C.nameClaims, key: { orgId: 1 }, options: { name: 'org' } },
  { collection: C.locks, key: { startedAt: 1 }, options: { name: 'started' } },
  { collection: C.usage, key: { day: 1, orgId: 1 }, options: { name: 'day_org' } },
  { collection: C.planChanges, key: { orgId: 1, at: -1 }, options: { name: 'org_at' } },
  ttl(C.refreshTokens),
  { collection: C.refreshTokens, key: { orgId: 1 }, options: { name: 'org' } },
  ttl(C.refreshTokenUses),
  ttl(C.revocations),
  ttl(C.loginFailures),
  { collection: C.loginFailures, key: { key: 1, expiresAt: -1 }, options: { name: 'key_expires' } },
  ttl(C.accountTokens),
  ttl(C.loginChallenges),
  ttl(C.usedCodes),
];

/** What one run of {@link createMasterIndexes} found: `collection.index` names. */
export interface MasterIndexReport {
  readonly created: readonly string[];
  /** TTL indexes the server does not support (see `isTtlIndexUnsupported`); queries filter by `expiresAt` anyway. */
  readonly unsupported: readonly string[];
}

/** `collection.index`, as the setup records and reports each index. */
const indexName = (index: MasterIndex) => `${index.collection}.${index.options.name}`;

/** The setup's record in {@link C.setup}: which indexes it made, and when. */
interface SetupRecord {
  readonly _id: 'master';
  readonly indexes: readonly string[];
  readonly at: Date;
}

/**
 * Creates every index of {@link MASTER_INDEXES} in `db` (idempotent), then records that it did (the
 * `master` document of the `setup` collection, which {@link isSetUp} reads). Fails on anything but a
 * TTL index the server cannot make, and then records nothing.
 *
 * @example
 * await createMasterIndexes(client.db('orgs_master'));
 */
export async function createMasterIndexes(db: Db): Promise<MasterIndexReport> {
  const created: string[] = [];
  const unsupported: string[] = [];
  await Promise.all(
    MASTER_INDEXES.map(async ({ collection, key, options, ttl }) => {
      const name = indexName({ collection, key, options });
      try {
        await db.collection(collection).createIndex(key, options);
        created.push(name);
      } catch (error) {
        if (!(ttl && isTtlIndexUnsupported(error))) throw error; // see compat.ts
        unsupported.push(name);
      }
    }),
  );
  await db
    .collection<SetupRecord>(C.setup)
    .updateOne({ _id: 'master' }, { $set: { indexes: MASTER_INDEXES.map(indexName), at: new Date() } }, { upsert: true });
  return { created: created.sort(), unsupported: unsupported.sort() };
}

/**
 * True when the database setup has run on `db` for every index this build lists: one read by `_id`,
 * which a function makes once per container before its first store call. A master database without
 * its unique indexes would let two admins share an email, so a function refuses to serve on one.
 */
export async function isSetUp(db: Db): Promise<boolean> {
  const record = await db.collection<SetupRecord>(C.setup).findOne({ _id: 'master' });
  return record !== null && MASTER_INDEXES.every((index) => record.indexes.includes(indexName(index)));
}
