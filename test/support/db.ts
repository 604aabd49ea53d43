import { type Db, type Document, MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { closeMongoClient } from '#core/mongo/client.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { createMasterIndexes } from '#core/mongo/indexes.ts';
import { migrateAdminsToMembers } from '#core/mongo/migrations.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { Placement, PlacementMode } from '#core/orgs/model.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';

/** Direct access to this test file's databases, to check what the handlers left behind. */

let client: MongoClient | undefined;

export function testClient(): MongoClient {
  client ??= new MongoClient(process.env.MONGODB_URI ?? '');
  return client;
}

export const masterDb = (): Db => testClient().db(process.env.MASTER_DB_NAME);
export const tenantDb = (): Db => testClient().db(process.env.TENANT_DB_NAME);

/** This file's placement policy, in `mode`. */
export const testPlacements = (mode: PlacementMode = 'collection') =>
  new PlacementPolicy(process.env.TENANT_DB_NAME ?? '', mode, collectionLabel);

export async function tenantCollections(): Promise<string[]> {
  const list = await tenantDb().listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).sort();
}

/** This file's organizations' own databases (database mode). */
export async function tenantDatabases(): Promise<string[]> {
  const { databases } = await testClient().db('admin').admin().listDatabases({ nameOnly: true });
  const prefix = `${process.env.TENANT_DB_NAME}_`;
  return databases
    .map((d) => d.name)
    .filter((name) => name.startsWith(prefix))
    .sort();
}

type Place = Pick<Placement, 'database' | 'collection'>;

/** The collection behind a placement. */
export const placeCollection = (place: Place) => testClient().db(place.database).collection(place.collection);

/** True when the placement's collection exists on the server. */
export async function placeExists(place: Place): Promise<boolean> {
  const list = await testClient().db(place.database).listCollections({ name: place.collection }, { nameOnly: true }).toArray();
  return list.length > 0;
}

/**
 * This file's master database as a deploy leaves it: the database setup (the `db-setup` function's
 * index creation and data migrations) runs once before the file's tests, as the stack's trigger runs it before the routes
 * serve. Its clients are closed after.
 */
export function useTestDatabase(): void {
  beforeAll(async () => {
    await createMasterIndexes(masterDb());
    await migrateAdminsToMembers(masterDb());
  });
  closeClientsAfterAll();
}

/** Closes this file's clients: the test client and the handlers' shared one. */
export function closeClientsAfterAll(): void {
  afterAll(async () => {
    await client?.close();
    client = undefined;
    await closeMongoClient();
  });
}

/** Removes every organization of this file, with its places, straight from the database. */
export async function wipeOrganizations(): Promise<void> {
  await Promise.all(
    [
      C.organizations,
      C.admins,
      C.nameClaims,
      C.locks,
      C.refreshTokens,
      C.refreshTokenUses,
      C.revocations,
      C.events,
      C.eventSequences,
    ].map((name) => masterDb().collection(name).deleteMany({})),
  );
  for (const name of await tenantCollections()) await tenantDb().collection(name).drop();
  for (const name of await tenantDatabases()) await testClient().db(name).dropDatabase();
}

/** Drops the organizations' own databases this file made (database mode). */
export function dropTenantDatabasesAfterAll(): void {
  afterAll(async () => {
    for (const name of await tenantDatabases()) await testClient().db(name).dropDatabase();
  });
}

/**
 * The state every settled run must reach: each organization active (or archived: deleted, kept for
 * its retention window), holding exactly its own name claim, its admin and its place; no lock held;
 * nothing that belongs to no organization.
 */
export async function settledState() {
  const orgs = await masterDb().collection(C.organizations).find().toArray();
  const admins = await masterDb().collection(C.admins).find().toArray();
  const claims = await masterDb().collection(C.nameClaims).find().toArray();
  const locks = await masterDb().collection(C.locks).find().toArray();
  const collections = await tenantCollections();
  const databases = await tenantDatabases();
  const problems: string[] = [];
  const orgIds = new Set(orgs.map((o) => o._id.toHexString()));
  for (const org of orgs) {
    if (org.status !== 'active' && org.status !== 'archived') problems.push(`org ${org.slug} is ${org.status}`);
    if (org.operation) problems.push(`org ${org.slug} still has an operation`);
    const own = claims.filter((c) => c.orgId.equals(org._id));
    if (own.length !== 1 || own[0]?._id !== org.slug) problems.push(`org ${org.slug} claims ${own.map((c) => c._id).join(',')}`);
    const placed =
      org.placement.mode === 'database'
        ? databases.includes(org.placement.database)
        : collections.includes(org.placement.collection);
    if (!placed) problems.push(`org ${org.slug} has no place`);
    if (admins.filter((a) => a.orgId.equals(org._id)).length !== 1) problems.push(`org ${org.slug} does not have one admin`);
  }
  for (const admin of admins) if (!orgIds.has(admin.orgId.toHexString())) problems.push(`orphan admin ${admin.email}`);
  for (const claim of claims) if (!orgIds.has(claim.orgId.toHexString())) problems.push(`orphan claim ${claim._id}`);
  for (const lock of locks) problems.push(`lock held on ${lock._id.toHexString()} (${lock.kind})`);
  const tenant = process.env.TENANT_DB_NAME;
  const placed = new Set(orgs.map((o) => `${o.placement.database}.${o.placement.collection}`));
  for (const name of collections) if (!placed.has(`${tenant}.${name}`)) problems.push(`orphan collection ${name}`);
  const placedDbs = new Set(orgs.map((o) => o.placement.database));
  for (const name of databases) if (!placedDbs.has(name)) problems.push(`orphan database ${name}`);
  return { orgs, admins, claims, collections, databases, problems };
}

/**
 * The event log as every settled run must leave it: nothing pending; each organization with exactly
 * one committed `organization.created`; no committed `organization.created` of an organization that
 * does not exist and was not deleted; per organization, sequence numbers that never repeat.
 */
export async function eventProblems(): Promise<{ problems: string[]; committed: Document[] }> {
  const events = await masterDb().collection(C.events).find().toArray();
  const orgs = await masterDb().collection(C.organizations).find().toArray();
  const problems: string[] = [];
  const committed = events.filter((e) => e.state === 'committed');
  for (const e of events) if (e.state !== 'committed') problems.push(`event ${e._id} (${e.type}) is ${e.state}`);
  const of = (type: string, orgId: string) => committed.filter((e) => e.type === type && e.orgId === orgId);
  for (const org of orgs) {
    const created = of('organization.created', org._id.toHexString()).length;
    if (created !== 1) problems.push(`org ${org.slug} has ${created} created events`);
  }
  const live = new Set(orgs.map((o) => o._id.toHexString()));
  for (const e of committed.filter((x) => x.type === 'organization.created')) {
    if (!live.has(e.orgId) && of('organization.deleted', e.orgId).length === 0 && of('organization.purged', e.orgId).length === 0)
      problems.push(`phantom created event of ${e.orgId}`);
  }
  for (const e of committed.filter((x) => x.type === 'organization.deleted' || x.type === 'organization.purged')) {
    if (live.has(e.orgId)) problems.push(`phantom ${e.type} event of ${e.orgId}`);
  }
  const seqs = new Set<string>();
  for (const e of events) {
    const key = `${e.orgId}:${e.seq}`;
    if (seqs.has(key)) problems.push(`sequence number ${key} repeats`);
    seqs.add(key);
  }
  return { problems, committed };
}

/** A collection name of a place in collection mode with this readable label (see `collectionPlacement`). */
export const collectionNamed = (label: string): RegExp => new RegExp(`^org_${label}_[0-9a-f]{10}$`);

/** The tenant collections whose readable label is `label`. */
export async function collectionsLabelled(label: string): Promise<string[]> {
  return (await tenantCollections()).filter((name) => collectionNamed(label).test(name));
}

/** The collection an organization's data is in now, by its slug. */
export async function collectionOfSlug(slug: string): Promise<string> {
  const org = await masterDb().collection(C.organizations).findOne({ slug });
  if (!org) throw new Error(`no organization ${slug}`);
  return org.placement.collection as string;
}

/**
 * Purges an archived organization at once, as the operator does (`npm run org:lifecycle -- purge`):
 * what a delete did in one step before deleting archived.
 */
export async function purgeNow(orgId: string): Promise<void> {
  const { orgLifecycle } = await import('../../bin/org-lifecycle.ts');
  const { code, out } = await orgLifecycle(['purge', '--id', orgId]);
  if (code !== 0) throw new Error(`purge refused: ${out}`);
}
