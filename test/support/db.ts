import { type Db, MongoClient } from 'mongodb';
import { afterAll } from 'vitest';
import { closeMongoClient } from '#core/mongo/client.ts';

/** Direct access to this test file's databases, to check what the handlers left behind. */

let client: MongoClient | undefined;

export function testClient(): MongoClient {
  client ??= new MongoClient(process.env.MONGODB_URI ?? '');
  return client;
}

export const masterDb = (): Db => testClient().db(process.env.MASTER_DB_NAME);
export const tenantDb = (): Db => testClient().db(process.env.TENANT_DB_NAME);

export async function tenantCollections(): Promise<string[]> {
  const list = await tenantDb().listCollections({}, { nameOnly: true }).toArray();
  return list.map((c) => c.name).sort();
}

/** Closes this file's clients: the test client and the handlers' shared one. */
export function closeClientsAfterAll(): void {
  afterAll(async () => {
    await client?.close();
    client = undefined;
    await closeMongoClient();
  });
}

/**
 * The state every settled run must reach: each organization active, holding exactly its own name
 * claim, its admin and its collection; nothing that belongs to no organization.
 */
export async function settledState() {
  const orgs = await masterDb().collection('organizations').find().toArray();
  const admins = await masterDb().collection('admins').find().toArray();
  const claims = await masterDb().collection('org_names').find().toArray();
  const collections = await tenantCollections();
  const problems: string[] = [];
  const orgIds = new Set(orgs.map((o) => o._id.toHexString()));
  for (const org of orgs) {
    if (org.status !== 'active') problems.push(`org ${org.slug} is ${org.status}`);
    if (org.operation) problems.push(`org ${org.slug} still has an operation`);
    const own = claims.filter((c) => c.orgId.equals(org._id));
    if (own.length !== 1 || own[0]?._id !== org.slug) problems.push(`org ${org.slug} claims ${own.map((c) => c._id).join(',')}`);
    if (!collections.includes(org.placement.collection)) problems.push(`org ${org.slug} has no collection`);
    if (admins.filter((a) => a.orgId.equals(org._id)).length !== 1) problems.push(`org ${org.slug} does not have one admin`);
  }
  for (const admin of admins) if (!orgIds.has(admin.orgId.toHexString())) problems.push(`orphan admin ${admin.email}`);
  for (const claim of claims) if (!orgIds.has(claim.orgId.toHexString())) problems.push(`orphan claim ${claim._id}`);
  const placed = new Set(orgs.map((o) => o.placement.collection));
  for (const name of collections) if (!placed.has(name)) problems.push(`orphan collection ${name}`);
  return { orgs, admins, claims, collections, problems };
}
