import type { Collection, Document, MongoClient } from 'mongodb';
import { newId, randomToken } from '../ids.ts';
import type { Placement, PlacementMode } from '../orgs/model.ts';

/**
 * The placement policy of the tenant isolation model: where an organization's data lives (pool: a
 * collection of its own in the shared tenant database; silo: a database of its own), and a handle to
 * it. A placement is decided when the organization is created and recorded on its document; requests
 * find their data only through that record (found by the org id of a verified token), never through
 * a name or collection a client sends.
 */

/** The one collection inside an organization's own database (database mode). */
export const RECORDS_COLLECTION = 'records';

export { TENANT_DB_NAME_MAX } from './limits.ts';

/**
 * Collection-per-organization: `org_<label>_<suffix>` in the shared tenant database, where `label` is
 * the readable part (see `collectionLabel`) and `suffix` is new for every place (10 random hex digits).
 *
 * A place's name is never used again, by this organization or any other: that is what makes it safe
 * to drop a place once no organization records it. A name that could come back (a rename A -> B -> A,
 * a move there and back) could be dropped by a clean-up that checked it was unused an instant before
 * it became live again.
 */
export function collectionPlacement(tenantDb: string, label: string, suffix: string, gen?: string): Placement {
  const collection = label ? `org_${label}_${suffix}` : `org_${suffix}`;
  return { mode: 'collection', database: tenantDb, collection, ...(gen ? { gen } : {}) };
}

/**
 * Database-per-organization: `<tenant database>_<place id>` with one `records` collection. The place
 * id is an ObjectId made for this place, so the name fits every server's name limit, a rename moves no
 * data, and, like every place name, it is never used again (a move away and back gets a new one).
 */
export function databasePlacement(tenantDb: string, placeId: string, gen?: string): Placement {
  return { mode: 'database', database: `${tenantDb}_${placeId}`, collection: RECORDS_COLLECTION, ...(gen ? { gen } : {}) };
}

/** A suffix no place of the same label has had: 40 random bits, new for every place. */
const placeSuffix = () => randomToken(5);

/**
 * Decides placements for new organizations, renames and moves, for one deployment. `label` gives the
 * readable part of a collection name from a slug (`collectionLabel` of `#core/orgs/labels.ts`); it is
 * passed in by the functions that name places (create, rename, move, reconcile), so the others do not
 * load its transliteration table. Without it, collection names are `org_<suffix>`: as unique, less
 * readable.
 */
export class PlacementPolicy {
  readonly #tenantDb: string;
  readonly #mode: PlacementMode;
  readonly #label: (slug: string) => string;

  constructor(tenantDb: string, mode: PlacementMode = 'collection', label: (slug: string) => string = () => '') {
    this.#tenantDb = tenantDb;
    this.#mode = mode;
    this.#label = label;
  }

  /** The mode new organizations get. */
  get mode(): PlacementMode {
    return this.#mode;
  }

  /** A new, empty place in `mode` (default: the deployment's) with a new data generation. */
  forNew(org: { readonly slug: string }, mode: PlacementMode = this.#mode): Placement {
    const gen = randomToken(6);
    return mode === 'database'
      ? databasePlacement(this.#tenantDb, newId(), gen)
      : collectionPlacement(this.#tenantDb, this.#label(org.slug), placeSuffix(), gen);
  }

  /**
   * Where the data goes when the organization takes a new slug. Collection mode renames the collection
   * to a new name (never one it had before; the data and its generation stay as they are); database
   * mode keeps its place.
   */
  forRename(current: Placement, newSlug: string): Placement {
    if (current.mode === 'database') return current;
    return collectionPlacement(current.database, this.#label(newSlug), placeSuffix(), current.gen);
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
