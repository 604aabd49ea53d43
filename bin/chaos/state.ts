import { type Document, type MongoClient, ObjectId } from 'mongodb';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { PlacementPolicy, RECORDS_COLLECTION } from '#core/tenancy/placement-policy.ts';

/**
 * What the crash suite reads straight from the database after recovery: whatever is left behind. An
 * organization neither `active` nor `archived`, or still carrying an operation or an owed cleanup; an operation lock
 * (nothing runs when the suite looks, so any lock is held by nobody); a name claim of an organization
 * that is gone or does not carry that name; a tenant collection or database that no organization's
 * placement names (the server's own listing, as `MongoTenantSpaces.list` reads it); a user who
 * created an organization that is gone.
 */

export interface Names {
  readonly masterDb: string;
  readonly tenantDb: string;
}

/** Every place of the deployment the server lists (collections `org_*` and databases `<tenant>_<id>`). */
async function listPlaces(client: MongoClient, names: Names): Promise<{ database: string; collection: string }[]> {
  const policy = new PlacementPolicy(names.tenantDb);
  const [collections, databases] = await Promise.all([
    client.db(names.tenantDb).listCollections({}, { nameOnly: true }).toArray(),
    client.db('admin').admin().listDatabases({ nameOnly: true }),
  ]);
  return [
    ...collections.map((c) => ({ database: names.tenantDb, collection: c.name })).filter((place) => policy.isTenantPlace(place)),
    ...databases.databases
      .filter((d) => policy.isTenantDatabase(d.name))
      .map((d) => ({ database: d.name, collection: RECORDS_COLLECTION })),
  ];
}

/** What is left behind now, one line each (a line names its subject, so the same leftover reads the same twice). */
export async function leftBehind(client: MongoClient, names: Names): Promise<string[]> {
  const master = client.db(names.masterDb);
  const [orgs, claims, locks, admins, places] = await Promise.all([
    master.collection(C.organizations).find().toArray(),
    master.collection(C.nameClaims).find().toArray(),
    master.collection(C.locks).find().toArray(),
    master
      .collection(C.admins)
      .find({ orgId: { $exists: true } }, { projection: { orgId: 1 } })
      .toArray(),
    listPlaces(client, names),
  ]);
  const problems: string[] = [];
  const byId = new Map<string, Document>(orgs.map((o) => [o._id.toHexString(), o]));
  for (const org of orgs) {
    // `archived`: deleted where a delete archives (kept, name reserved, until its purge): settled too.
    if (org.status !== 'active' && org.status !== 'archived') problems.push(`organization ${org.slug} is ${org.status}`);
    if (org.operation) problems.push(`organization ${org.slug} carries an operation (${org.operation.kind})`);
    if (org.owed) problems.push(`organization ${org.slug} still owes a cleanup`);
  }
  for (const lock of locks) problems.push(`lock on ${lock._id.toHexString()} (${lock.kind}) held by nobody`);
  for (const claim of claims) {
    const org = byId.get(claim.orgId.toHexString());
    if (!org) problems.push(`name ${claim._id} claimed by an organization that is gone`);
    else if (org.slug !== claim._id) problems.push(`name ${claim._id} still claimed by ${org.slug}`);
  }
  for (const admin of admins) {
    if (!byId.has(admin.orgId.toHexString())) problems.push(`user ${admin._id} of an organization that is gone`);
  }
  // An organization uses its placement, and the places an operation it carries moves data between
  // (an operation still there is a problem of its own, above).
  const used = new Set(
    orgs.flatMap((o) =>
      [o.placement, o.operation?.from, o.operation?.to]
        .filter((p): p is Document => p !== undefined)
        .map((p) => `${p.database}.${p.collection}`),
    ),
  );
  for (const place of places) {
    const key = `${place.database}.${place.collection}`;
    if (!used.has(key)) problems.push(`place ${key} without an organization`);
  }
  return problems;
}

/** The organization document, or null. */
export async function orgDoc(client: MongoClient, names: Names, orgId: string): Promise<Document | null> {
  return client
    .db(names.masterDb)
    .collection(C.organizations)
    .findOne({ _id: new ObjectId(orgId) });
}

/** The organization whose first user has `email`, or null (a create's organization before its answer). */
export async function orgIdByEmail(client: MongoClient, names: Names, email: string): Promise<string | null> {
  const admin = await client.db(names.masterDb).collection(C.admins).findOne({ email });
  return admin?.orgId ? admin.orgId.toHexString() : null;
}
