import bcrypt from 'bcryptjs';
import { type Collection, type Document, type MongoClient, ObjectId } from 'mongodb';

/**
 * The baselines: the same database work as each route, done with the driver alone (no validation,
 * no service, no middleware, no mapping). Each method makes the same calls, with the same filters, in
 * the same order as the service does for that route.
 */
export class RawDb {
  readonly #orgs: Collection<Document>;
  readonly #admins: Collection<Document>;
  readonly #client: MongoClient;

  constructor(client: MongoClient, masterDb: string) {
    this.#client = client;
    const db = client.db(masterDb);
    this.#orgs = db.collection('organizations');
    this.#admins = db.collection('admins');
  }

  /** GET /org/get: the organization by slug. */
  async getOrg(slug: string): Promise<Document | null> {
    return this.#orgs.findOne({ slug });
  }

  /** PUT /org/update with a new email: org by slug, its admin, the admin's email, the org's updatedAt. */
  async updateEmail(slug: string, email: string): Promise<Document | null> {
    const org = await this.#orgs.findOne({ slug });
    if (!org) return null;
    const admin = await this.#admins.findOne({ _id: org.adminId });
    const now = new Date();
    await this.#admins.updateOne({ _id: admin?._id }, { $set: { email, updatedAt: now } });
    await this.#orgs.updateOne({ _id: org._id, status: { $in: ['active'] } }, { $set: { updatedAt: now } });
    return this.#orgs.findOne({ _id: org._id });
  }

  /** POST /org/records: the organization's recorded placement, then one insert there. */
  async createRecord(orgId: string, data: Record<string, unknown>): Promise<Document | null> {
    if (!ObjectId.isValid(orgId)) return null;
    const org = await this.#orgs.findOne({ _id: new ObjectId(orgId) });
    if (!org) return null;
    const now = new Date();
    const doc = { ...data, createdAt: now, updatedAt: now };
    const { insertedId } = await this.#client.db(org.placement.database).collection(org.placement.collection).insertOne(doc);
    return { id: insertedId.toHexString(), ...data, created_at: now.toISOString(), updated_at: now.toISOString() };
  }

  /**
   * POST /admin/login without signing: the admin by email, the password check, then its
   * organization. bcrypt runs here too, so that the lookup after it meets the same conditions (a
   * connection and a server idle for the length of a hash) as in the service; the bench takes the
   * bcrypt time out of both sides.
   */
  async login(email: string, password: string): Promise<Document | null> {
    const admin = await this.#admins.findOne({ email });
    if (!admin || !(await bcrypt.compare(password, admin.passwordHash))) return null;
    return this.#orgs.findOne({ _id: admin.orgId });
  }
}
