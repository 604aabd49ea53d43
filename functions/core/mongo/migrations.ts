import type { Db, Filter } from 'mongodb';
import { OWNER } from '../members/permissions.ts';
import type { AdminDoc } from './admin-store.ts';
import { MASTER_COLLECTIONS as C } from './collections.ts';
import { insertUnique } from './insert-unique.ts';
import type { MembershipDoc } from './membership-store.ts';

/**
 * Data migrations of the master database, run by the database setup (deploy, `npm start`, tests)
 * and again by the reconciler (so a document an older function version wrote during a deploy is
 * migrated within one reconciler period). Each is idempotent and resumable: it finds what is left
 * to do by a query, not by a record of what it did.
 */

/** How many documents one migration step reads and writes. */
const BATCH = 500;

export interface MigrationReport {
  /** Admins of the one-admin model who are now their organization's owner. */
  readonly ownersAdded: number;
}

/**
 * Users to memberships: every user document without `schemaVersion` (written when an organization
 * had exactly one admin, its `orgId`) gets an `owner` membership of that organization, then
 * `schemaVersion: 2`. The membership insert comes first and ignores one that exists, so a run
 * stopped anywhere is finished by the next. Tokens already issued keep working: their subject is
 * the same id and their organization the same organization.
 *
 * @returns how many owner memberships this run added.
 * @throws a database failure (a later run picks up where this one stopped).
 */
export async function migrateAdminsToMembers(db: Db, now = new Date()): Promise<MigrationReport> {
  const users = db.collection<AdminDoc>(C.admins);
  const memberships = db.collection<MembershipDoc>(C.memberships);
  let ownersAdded = 0;
  for (;;) {
    // `null` matches a missing field and can use the `schema_version` index.
    const batch = await users
      .find({ schemaVersion: null } as unknown as Filter<AdminDoc>, { projection: { _id: 1, orgId: 1, createdAt: 1 } })
      .limit(BATCH)
      .toArray();
    if (batch.length === 0) return { ownersAdded };
    // Only organizations that still exist: a legacy user of a deleted one gets no membership.
    const orgIds = batch.flatMap((u) => (u.orgId ? [u.orgId] : []));
    const liveOrgs = new Set(
      orgIds.length === 0
        ? []
        : (
            await db
              .collection(C.organizations)
              .find({ _id: { $in: orgIds } }, { projection: { _id: 1 } })
              .toArray()
          ).map((o) => String(o._id)),
    );
    const docs = batch
      .filter((u) => u.orgId && liveOrgs.has(String(u.orgId)))
      .map((u) => {
        const orgId = u.orgId as NonNullable<AdminDoc['orgId']>;
        return {
          _id: `${orgId.toHexString()}:${u._id.toHexString()}`,
          orgId,
          userId: u._id,
          role: OWNER,
          createdAt: u.createdAt ?? now,
          updatedAt: now,
        };
      });
    const existing = new Set(
      (await memberships.find({ _id: { $in: docs.map((d) => d._id) } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id),
    );
    const missing = docs.filter((d) => !existing.has(d._id));
    // One insert each (a concurrent run may have inserted some): the unique `_id` decides.
    const inserted = await Promise.all(missing.map((doc) => insertUnique(memberships, doc)));
    ownersAdded += inserted.filter(Boolean).length;
    await users.updateMany({ _id: { $in: batch.map((u) => u._id) } }, { $set: { schemaVersion: 2 } });
  }
}
