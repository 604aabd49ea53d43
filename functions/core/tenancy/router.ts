import type { Collection, Document, MongoClient } from 'mongodb';
import { randomToken } from '../ids.ts';
import type { Placement, PlacementMode } from '../orgs/model.ts';

/**
 * The tenant router: where an organization's data lives, and a handle to it. A placement is decided
 * when the organization is created and recorded on its document; requests are routed only by that
 * record (found by the org id of a verified token), never by a name or collection a client sends.
 */

/** The one collection inside an organization's own database (database mode). */
export const RECORDS_COLLECTION = 'records';

/** The longest tenant database name that leaves room for `_<org id>` within MongoDB's name limit. */
export const TENANT_DB_NAME_MAX = 63 - 25;

/** Collection-per-organization: `org_<slug>` in the shared tenant database. */
export function collectionPlacement(tenantDb: string, slug: string, gen?: string): Placement {
  return { mode: 'collection', database: tenantDb, collection: `org_${slug}`, ...(gen ? { gen } : {}) };
}

/**
 * Database-per-organization: `<tenant database>_<org id>` with one `records` collection. The name
 * follows the org id, not its name: it fits every server's name limit, a rename moves no data, and a
 * name is never handed to another organization.
 */
export function databasePlacement(tenantDb: string, orgId: string, gen?: string): Placement {
  return { mode: 'database', database: `${tenantDb}_${orgId}`, collection: RECORDS_COLLECTION, ...(gen ? { gen } : {}) };
}

/** Decides placements for new organizations, renames and moves, for one deployment. */
export class PlacementPolicy {
  readonly #tenantDb: string;
  readonly #mode: PlacementMode;

  constructor(tenantDb: string, mode: PlacementMode = 'collection') {
    this.#tenantDb = tenantDb;
    this.#mode = mode;
  }

  /** The mode new organizations get. */
  get mode(): PlacementMode {
    return this.#mode;
  }

  /** A new, empty place in `mode` (default: the deployment's) with a new data generation. */
  forNew(org: { readonly id: string; readonly slug: string }, mode: PlacementMode = this.#mode): Placement {
    const gen = randomToken(6);
    return mode === 'database'
      ? databasePlacement(this.#tenantDb, org.id, gen)
      : collectionPlacement(this.#tenantDb, org.slug, gen);
  }

  /**
   * Where the data goes when the organization takes a new slug. Collection mode renames the collection
   * (the data and its generation stay as they are); database mode keeps its place.
   */
  forRename(current: Placement, newSlug: string): Placement {
    if (current.mode === 'database') return current;
    return collectionPlacement(current.database, newSlug, current.gen);
  }

  /** True when `placement` names a place this deployment's organizations may use. */
  isTenantPlace(placement: Pick<Placement, 'database' | 'collection'>): boolean {
    if (placement.database === this.#tenantDb) return placement.collection.startsWith('org_');
    return placement.collection === RECORDS_COLLECTION && this.isTenantDatabase(placement.database);
  }

  /** True for the name of an organization's own database in this deployment. */
  isTenantDatabase(name: string): boolean {
    return name.startsWith(`${this.#tenantDb}_`) && /^[0-9a-f]{24}$/.test(name.slice(this.#tenantDb.length + 1));
  }

  get tenantDb(): string {
    return this.#tenantDb;
  }
}

/** The collection holding an organization's data. */
export function tenantCollection<T extends Document = Document>(client: MongoClient, placement: Placement): Collection<T> {
  return client.db(placement.database).collection<T>(placement.collection);
}
