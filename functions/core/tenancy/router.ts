import type { Collection, Document, MongoClient } from 'mongodb';
import type { Placement } from '../orgs/model.ts';

/**
 * The tenant router: where an organization's data lives, and a handle to it. A placement is decided
 * when the organization is created and recorded on its document; requests are routed only by that
 * record (found by the org id of a verified token), never by a name or collection a client sends.
 */

/** Collection-per-organization: `org_<slug>` in the shared tenant database. */
export function collectionPlacement(tenantDb: string, slug: string): Placement {
  return { mode: 'collection', database: tenantDb, collection: `org_${slug}` };
}

/** The collection holding an organization's data. */
export function tenantCollection<T extends Document = Document>(client: MongoClient, placement: Placement): Collection<T> {
  return client.db(placement.database).collection<T>(placement.collection);
}
