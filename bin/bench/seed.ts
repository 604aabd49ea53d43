import { type Document, ObjectId } from 'mongodb';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import type { PlacementMode } from '#core/orgs/model.ts';
import { httpEvent } from '../../test/support/events.ts';
import type { BenchEnv } from './env.ts';

/**
 * Organizations for the bench, in either placement mode. The first is created by the real
 * POST /org/create handler; every other one is a copy of the documents that create wrote, with its
 * own ids, name, slug, placement and email, and its admin's owner membership, written straight to
 * the database in bulk: the master documents of many organizations per `insertMany`, then each
 * organization's place (its collection, or its database, with the records index the service makes)
 * and a few records in the shape the record store writes, several places at a time. That is
 * thousands of times faster than bcrypt-hashing a password per organization, and the documents stay
 * exactly as the service writes them (every admin shares the first one's password hash).
 */

export const BENCH_PASSWORD = 'bench password 1';

/** Records written into each seeded organization's place. */
export const RECORDS_PER_ORG = 3;

/** Organizations whose master documents go in one `insertMany` per collection. */
const MASTER_BATCH = 1_000;

export interface SeededOrg {
  readonly index: number;
  /** Changes when a bench write spells the name anew (same slug). */
  name: string;
  readonly slug: string;
  readonly orgId: string;
  readonly adminId: string;
  readonly mode: PlacementMode;
  /** A record in the organization's place. */
  readonly recordId: string;
  email: string;
}

export interface GrowResult {
  readonly reached: number;
  /** Seconds spent seeding in this call. */
  readonly seconds: number;
  /** Milliseconds per place (created, indexed, its records written) over the last batch, wall time. */
  readonly lastMsPerPlace: number;
  readonly stoppedByBudget: boolean;
}

export interface GrowOptions {
  /** The placement mode of the organizations added (default collection, the service's default). */
  readonly mode?: PlacementMode;
  /** A `performance.now()` time after which no new batch starts. */
  readonly deadline?: number;
  /** Places created at once (default 4). */
  readonly parallel?: number;
}

const pad = (i: number) => String(i).padStart(5, '0');
/** The name of seeded organization `i` of a mode (collection mode keeps the names it always had). */
export const orgName = (i: number, mode: PlacementMode = 'collection') =>
  mode === 'collection' ? `Bench Org ${pad(i)}` : `Bench Db Org ${pad(i)}`;
export const adminEmail = (i: number, mode: PlacementMode = 'collection') =>
  mode === 'collection' ? `admin@bench-org-${pad(i)}.example` : `admin@bench-db-org-${pad(i)}.example`;

interface Template {
  readonly org: Document;
  readonly admin: Document;
  readonly claim: Document;
}

interface Copy {
  readonly org: Document;
  readonly admin: Document;
  readonly claim: Document;
  readonly membership: Document;
  readonly records: Document[];
  readonly seeded: SeededOrg;
}

export class Seeder {
  /** Collection-mode organizations, the first one made by the create handler. */
  readonly orgs: SeededOrg[] = [];
  /** Database-mode organizations (all seeded). */
  readonly databaseOrgs: SeededOrg[] = [];
  readonly #env: BenchEnv;
  readonly #template: Template;
  readonly #placementFor: (slug: string, mode: PlacementMode) => Document;
  readonly #toSlug: (name: string) => string;

  private constructor(env: BenchEnv, first: SeededOrg, template: Template, modules: SeederModules) {
    this.#env = env;
    this.orgs.push(first);
    this.#template = template;
    const policy = new modules.PlacementPolicy(env.tenantDb, 'collection', modules.collectionLabel);
    this.#placementFor = (slug, mode) => ({ ...policy.forNew({ slug }, mode) });
    this.#toSlug = modules.toSlug;
  }

  /** The organizations of a mode seeded so far. */
  of(mode: PlacementMode): SeededOrg[] {
    return mode === 'collection' ? this.orgs : this.databaseOrgs;
  }

  /** Creates the first organization through the real handler and keeps its documents as the template. */
  static async start(env: BenchEnv): Promise<Seeder> {
    const route = env.route('POST /org/create');
    const create = await env.load(route.function);
    const event = httpEvent({
      method: route.method,
      path: route.path,
      body: { organization_name: orgName(0), email: adminEmail(0), password: BENCH_PASSWORD },
    });
    const result = (await create(event, env.context(route.function))) as { statusCode: number; body: string };
    if (result.statusCode !== 201) throw new Error(`Seeding: POST /org/create answered ${result.statusCode}: ${result.body}`);
    const created = JSON.parse(result.body) as { organization_id: string };

    const master = env.client.db(env.masterDb);
    const _id = new ObjectId(created.organization_id);
    const org = await master.collection(C.organizations).findOne({ _id });
    const admin = await master.collection(C.admins).findOne({ orgId: _id });
    const claim = await master.collection(C.nameClaims).findOne({ orgId: _id });
    if (!org || !admin || !claim) throw new Error('Seeding: the created organization is not where the service keeps it');

    const { PlacementPolicy } = await import('#core/tenancy/placement-policy.ts');
    const { toSlug } = await import('#core/orgs/model.ts');
    const { collectionLabel } = await import('#core/orgs/labels.ts');
    const records = seededRecords(org.placement, org.name, 'collection');
    await env.client.db(org.placement.database).collection(org.placement.collection).insertMany(records);
    const first: SeededOrg = {
      index: 0,
      name: org.name,
      slug: org.slug,
      orgId: org._id.toHexString(),
      adminId: admin._id.toHexString(),
      mode: 'collection',
      recordId: firstId(records),
      email: admin.email,
    };
    return new Seeder(env, first, { org, admin, claim }, { PlacementPolicy, toSlug, collectionLabel });
  }

  /**
   * Adds organizations of `options.mode` until it has `target`: the master documents of up to 1,000
   * organizations per `insertMany`, then their places, `options.parallel` at a time. Stops early, at
   * a batch boundary, when `options.deadline` has passed. Throws what the database throws.
   */
  async growTo(target: number, options: GrowOptions = {}): Promise<GrowResult> {
    const mode = options.mode ?? 'collection';
    const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
    const list = this.of(mode);
    const started = performance.now();
    let lastMsPerPlace = Number.NaN;
    const result = (stoppedByBudget: boolean): GrowResult => ({
      reached: list.length,
      seconds: (performance.now() - started) / 1000,
      lastMsPerPlace,
      stoppedByBudget,
    });
    // Small batches while small, so that a budget stops near where it ran out.
    const batch = Math.min(MASTER_BATCH, Math.max(50, Math.ceil(target / 10)));
    while (list.length < target) {
      if (performance.now() > deadline) return result(true);
      const from = list.length;
      const to = Math.min(target, from + batch);
      const copies = Array.from({ length: to - from }, (_, k) => this.#copy(from + k, mode));
      const master = this.#env.client.db(this.#env.masterDb);
      await Promise.all([
        master.collection(C.organizations).insertMany(
          copies.map((c) => c.org),
          { ordered: false },
        ),
        master.collection(C.admins).insertMany(
          copies.map((c) => c.admin),
          { ordered: false },
        ),
        master.collection<{ _id: string }>(C.nameClaims).insertMany(
          copies.map((c) => c.claim as { _id: string }),
          { ordered: false },
        ),
        master.collection<{ _id: string }>(C.memberships).insertMany(
          copies.map((c) => c.membership as { _id: string }),
          { ordered: false },
        ),
      ]);
      const placesStarted = performance.now();
      await this.#createPlaces(copies, options.parallel ?? 4);
      lastMsPerPlace = (performance.now() - placesStarted) / copies.length;
      for (const c of copies) list.push(c.seeded);
    }
    return result(false);
  }

  /**
   * Each copy's place as `TenantSpaces.create` makes it (the collection with its `records_newest`
   * index; `createIndexes` creates the collection, and in database mode the database, in the same
   * round trip) and its records, `parallel` places at a time.
   */
  async #createPlaces(copies: readonly Copy[], parallel: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      for (let c = copies[next++]; c; c = copies[next++]) {
        const place = this.#env.client.db(c.org.placement.database).collection(c.org.placement.collection);
        await place.createIndex({ gen: 1, createdAt: -1, _id: -1 }, { name: 'records_newest' });
        await place.insertMany(c.records);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  #copy(index: number, mode: PlacementMode): Copy {
    const t = this.#template;
    const now = new Date();
    const _id = new ObjectId();
    const adminId = new ObjectId();
    const name = orgName(index, mode);
    const slug = this.#toSlug(name);
    const email = adminEmail(index, mode);
    const placement = this.#placementFor(slug, mode);
    const records = seededRecords(placement, name, mode, now);
    return {
      org: { ...t.org, _id, name, slug, placement, adminId, createdAt: now, updatedAt: now },
      admin: { ...t.admin, _id: adminId, email, orgId: _id, createdAt: now, updatedAt: now },
      claim: { ...t.claim, _id: slug, orgId: _id, claimedAt: now },
      membership: {
        _id: `${_id.toHexString()}:${adminId.toHexString()}`,
        orgId: _id,
        userId: adminId,
        role: 'owner',
        createdAt: now,
        updatedAt: now,
      },
      records,
      seeded: {
        index,
        name,
        slug,
        orgId: _id.toHexString(),
        adminId: adminId.toHexString(),
        mode,
        recordId: firstId(records),
        email,
      },
    };
  }
}

/** What MongoRecordStore.insert writes for a new record: the place's generation, rev 0, both times, the data. */
function seededRecords(placement: Document, name: string, mode: PlacementMode, now = new Date()): Document[] {
  return Array.from({ length: RECORDS_PER_ORG }, (_, k) => ({
    _id: new ObjectId(),
    ...(placement.gen ? { gen: placement.gen } : {}),
    rev: 0,
    createdAt: now,
    updatedAt: now,
    data: { n: k, note: `seeded record ${k} of ${name}`, tags: ['bench', mode] },
  }));
}

function firstId(records: readonly Document[]): string {
  const id = records[0]?._id;
  if (!(id instanceof ObjectId)) throw new Error('Seeding: no record to read');
  return id.toHexString();
}

interface SeederModules {
  PlacementPolicy: typeof import('#core/tenancy/placement-policy.ts').PlacementPolicy;
  collectionLabel(slug: string): string;
  toSlug(name: string): string;
}
