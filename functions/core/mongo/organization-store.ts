import { type Collection, type Db, type Filter, ObjectId } from 'mongodb';
import type { ArchiveState, Operation, Organization, OrgStatus, Owed, Placement, PurgeProgress } from '../orgs/model.ts';
import type { OrganizationStore, OrgChanges, PlaceName } from '../orgs/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { idIn } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for organizations (`organizations` in the master database): the unique slug,
 * the status an operation moves it through, and the placement of its data. Ids are ObjectIds in the
 * database, hex strings above.
 */

export interface OrgDoc {
  _id: ObjectId;
  name: string;
  slug: string;
  status: OrgStatus;
  placement: Placement;
  adminId: ObjectId;
  createdAt: Date;
  updatedAt: Date;
  operation?: Operation;
  owed?: Owed;
  placementVersion?: number;
  archive?: ArchiveState;
  purge?: PurgeProgress;
  /** The organization's plan (see `#core/limits/plans.ts`); absent: the stage's default. */
  plan?: string;
  /** When the operator last changed the plan. */
  planChangedAt?: Date;
}

function toOrg(doc: OrgDoc): Organization {
  const { _id, adminId, operation, owed, ...rest } = doc;
  return {
    ...rest,
    id: _id.toHexString(),
    adminId: adminId.toHexString(),
    ...(operation ? { operation } : {}),
    ...(owed ? { owed } : {}),
  };
}

export class MongoOrganizationStore implements OrganizationStore {
  readonly #col: Collection<OrgDoc>;

  constructor(col: Collection<OrgDoc>) {
    this.#col = col;
  }

  async insert(org: Organization): Promise<'ok' | 'slug_taken'> {
    const { id, adminId, operation, ...rest } = org;
    const inserted = await insertUnique(this.#col, {
      ...rest,
      _id: new ObjectId(id),
      adminId: new ObjectId(adminId),
      ...(operation ? { operation } : {}),
    });
    return inserted ? 'ok' : 'slug_taken';
  }

  async findById(id: string): Promise<Organization | null> {
    const _id = oid(id);
    const doc = _id && (await this.#col.findOne({ _id }));
    return doc ? toOrg(doc) : null;
  }

  async findMany(ids: readonly string[]): Promise<Organization[]> {
    const _ids = ids.map(oid).filter((id): id is NonNullable<typeof id> => id !== null);
    if (_ids.length === 0) return [];
    return (await this.#col.find(idIn(_ids)).toArray()).map(toOrg);
  }

  async findBySlug(slug: string): Promise<Organization | null> {
    const doc = await this.#col.findOne({ slug });
    return doc ? toOrg(doc) : null;
  }

  async transition(
    id: string,
    from: readonly OrgStatus[],
    changes: OrgChanges,
    owner?: string | null,
  ): Promise<Organization | null> {
    const _id = oid(id);
    if (!_id) return null;
    // `null` removes a field (the operation when a change ends, the archive state on a restore).
    const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== null && value !== undefined));
    const unset = Object.fromEntries(
      Object.entries(changes).flatMap(([key, value]) => (value === null ? [[key, '' as const]] : [])),
    );
    const update = Object.keys(unset).length > 0 ? { $set: set, $unset: unset } : { $set: set };
    const fence = owner === undefined ? {} : { 'operation.owner': owner };
    // One round trip, and the document exactly as this update left it (MongoDB's findAndModify is
    // atomic on one document), not as a later read would find it.
    const doc = await this.#col.findOneAndUpdate({ _id, status: { $in: [...from] }, ...fence } as Filter<OrgDoc>, update, {
      returnDocument: 'after',
    });
    return doc ? toOrg(doc) : null;
  }

  async remove(id: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.deleteOne({ _id });
  }

  async clearOwed(id: string, owner: string): Promise<void> {
    const _id = oid(id);
    if (_id) await this.#col.updateOne({ _id, 'owed.owner': owner }, { $unset: { owed: '' } });
  }

  async listUnsettled(before: Date): Promise<Organization[]> {
    const docs = await this.#col
      .find({
        $or: [{ status: { $ne: 'active' }, 'operation.startedAt': { $lt: before } }, { 'owed.at': { $lt: before } }],
      })
      .toArray();
    return docs.map(toOrg);
  }

  async listPurgeDue(now: Date, limit: number): Promise<Organization[]> {
    const [purging, due] = await Promise.all([
      this.#col.find({ status: 'purging' }).limit(limit).toArray(),
      this.#col
        .find({
          status: 'archived',
          'archive.purgeAfter': { $lte: now },
          legalHold: { $ne: true },
        })
        .sort({ 'archive.purgeAfter': 1 })
        .limit(limit)
        .toArray(),
    ]);
    return [...purging, ...due].map(toOrg);
  }

  async placesInUse(): Promise<PlaceName[]> {
    const docs = await this.#col.find({}, { projection: { placement: 1, operation: 1 } }).toArray();
    return docs.flatMap((doc) => {
      const op = doc.operation;
      return [doc.placement, ...(op && (op.kind === 'rename' || op.kind === 'move') ? [op.from, op.to] : [])];
    });
  }

  async isPlaceInUse(place: PlaceName): Promise<boolean> {
    const at = (path: string) => ({ [`${path}.database`]: place.database, [`${path}.collection`]: place.collection });
    const doc = await this.#col.findOne(
      { $or: [at('placement'), at('operation.from'), at('operation.to')] },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }
}

/** The organization store on `db`'s `organizations` collection, with outages mapped to 503. */
export function mongoOrganizationStore(db: Db): OrganizationStore {
  return withUnavailableMapping(new MongoOrganizationStore(db.collection<OrgDoc>(MASTER_COLLECTIONS.organizations)));
}
