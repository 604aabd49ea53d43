import type { Collection, Db, ObjectId } from 'mongodb';
import type { CustomRole } from '../members/model.ts';
import type { RoleStore } from '../members/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/** The MongoDB adapter for custom roles (`roles` in the master database), keyed `<orgId>:<name>`. */

export interface RoleDoc {
  _id: string;
  orgId: ObjectId;
  name: string;
  description?: string;
  permissions: string[];
  createdAt: Date;
  updatedAt: Date;
}

const keyOf = (orgId: string, name: string) => `${orgId}:${name}`;

function toRole(doc: RoleDoc): CustomRole {
  const { _id, orgId, description, ...rest } = doc;
  return { ...rest, orgId: orgId.toHexString(), ...(description !== undefined ? { description } : {}) };
}

export class MongoRoleStore implements RoleStore {
  readonly #col: Collection<RoleDoc>;

  constructor(col: Collection<RoleDoc>) {
    this.#col = col;
  }

  async insert(role: CustomRole): Promise<'ok' | 'exists'> {
    const orgId = oid(role.orgId);
    if (!orgId) throw new Error('the organization id must be an ObjectId');
    const { description, ...rest } = role;
    const doc: RoleDoc = {
      ...rest,
      _id: keyOf(role.orgId, role.name),
      orgId,
      permissions: [...role.permissions],
      ...(description !== undefined ? { description } : {}),
    };
    return (await insertUnique(this.#col, doc)) ? 'ok' : 'exists';
  }

  async find(orgId: string, name: string): Promise<CustomRole | null> {
    const doc = await this.#col.findOne({ _id: keyOf(orgId, name) });
    return doc ? toRole(doc) : null;
  }

  async list(orgId: string): Promise<CustomRole[]> {
    const org = oid(orgId);
    if (!org) return [];
    return (await this.#col.find({ orgId: org }).sort({ _id: 1 }).toArray()).map(toRole);
  }

  async update(
    orgId: string,
    name: string,
    changes: Pick<CustomRole, 'permissions' | 'description'>,
    at: Date,
  ): Promise<CustomRole | null> {
    const set: Partial<RoleDoc> = { permissions: [...changes.permissions], updatedAt: at };
    if (changes.description !== undefined) set.description = changes.description;
    const doc = await this.#col.findOneAndUpdate({ _id: keyOf(orgId, name) }, { $set: set }, { returnDocument: 'after' });
    return doc ? toRole(doc) : null;
  }

  async remove(orgId: string, name: string): Promise<boolean> {
    return (await this.#col.deleteOne({ _id: keyOf(orgId, name) })).deletedCount > 0;
  }

  async removeByOrg(orgId: string): Promise<void> {
    const org = oid(orgId);
    if (org) await this.#col.deleteMany({ orgId: org });
  }
}

/** The role store on `db`'s `roles` collection, with outages mapped to 503. */
export function mongoRoleStore(db: Db): RoleStore {
  return withUnavailableMapping(new MongoRoleStore(db.collection<RoleDoc>(MASTER_COLLECTIONS.roles)));
}
