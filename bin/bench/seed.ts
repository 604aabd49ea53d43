import { type Document, ObjectId } from 'mongodb';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { httpEvent } from '../../test/support/events.ts';
import type { BenchEnv } from './env.ts';

/**
 * Organizations for the bench. The first is created by the real POST /org/create handler; every
 * other one is a copy of the documents that create wrote, with its own ids, name, slug, placement
 * and email, inserted in batches with its own collection (a placement made by the service's policy). That is thousands of times
 * faster than bcrypt-hashing a password per organization, and the documents stay exactly as the
 * service writes them (every admin shares the first one's password hash).
 */

export const BENCH_PASSWORD = 'bench password 1';

export interface SeededOrg {
  readonly index: number;
  readonly name: string;
  readonly slug: string;
  readonly orgId: string;
  readonly adminId: string;
  /** Changes when a bench write gives the admin a new email. */
  email: string;
}

export interface GrowResult {
  readonly reached: number;
  /** Seconds spent seeding in this call. */
  readonly seconds: number;
  /** Milliseconds per collection created in the last batch. */
  readonly lastMsPerCollection: number;
  readonly stoppedByBudget: boolean;
}

const pad = (i: number) => String(i).padStart(5, '0');
export const orgName = (i: number) => `Bench Org ${pad(i)}`;
export const adminEmail = (i: number) => `admin@bench-org-${pad(i)}.example`;

interface Template {
  readonly org: Document;
  readonly admin: Document;
  readonly claim: Document;
}

export class Seeder {
  readonly orgs: SeededOrg[] = [];
  readonly #env: BenchEnv;
  readonly #template: Template;
  readonly #placementFor: (slug: string) => Document;
  readonly #toSlug: (name: string) => string;

  private constructor(env: BenchEnv, first: SeededOrg, template: Template, modules: SeederModules) {
    this.#env = env;
    this.orgs.push(first);
    this.#template = template;
    const policy = new modules.PlacementPolicy(env.tenantDb, 'collection', modules.collectionLabel);
    this.#placementFor = (slug) => ({ ...policy.forNew({ slug }) });
    this.#toSlug = modules.toSlug;
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
    const first: SeededOrg = {
      index: 0,
      name: org.name,
      slug: org.slug,
      orgId: org._id.toHexString(),
      adminId: admin._id.toHexString(),
      email: admin.email,
    };
    return new Seeder(env, first, { org, admin, claim }, { PlacementPolicy, toSlug, collectionLabel });
  }

  /**
   * Adds organizations until there are `target`, in batches; stops early, at a batch boundary, when
   * `deadline` (a `performance.now()` time) has passed.
   */
  async growTo(target: number, deadline = Number.POSITIVE_INFINITY): Promise<GrowResult> {
    const started = performance.now();
    let lastMsPerCollection = Number.NaN;
    const batch = target <= 1_000 ? 100 : 500;
    while (this.orgs.length < target) {
      if (performance.now() > deadline) {
        return {
          reached: this.orgs.length,
          seconds: (performance.now() - started) / 1000,
          lastMsPerCollection,
          stoppedByBudget: true,
        };
      }
      const from = this.orgs.length;
      const to = Math.min(target, from + batch);
      const docs = Array.from({ length: to - from }, (_, k) => this.#copy(from + k));
      const master = this.#env.client.db(this.#env.masterDb);
      await master.collection(C.organizations).insertMany(docs.map((d) => d.org));
      await master.collection(C.admins).insertMany(docs.map((d) => d.admin));
      await master.collection<{ _id: string }>(C.memberships).insertMany(docs.map((d) => d.membership));
      await master.collection<{ _id: string }>(C.nameClaims).insertMany(docs.map((d) => d.claim));
      const collectionsStarted = performance.now();
      await this.#createCollections(docs.map((d) => d.org.placement.collection as string));
      lastMsPerCollection = (performance.now() - collectionsStarted) / docs.length;
      for (const d of docs) this.orgs.push(d.seeded);
    }
    return {
      reached: this.orgs.length,
      seconds: (performance.now() - started) / 1000,
      lastMsPerCollection,
      stoppedByBudget: false,
    };
  }

  async #createCollections(names: string[]): Promise<void> {
    const db = this.#env.client.db(this.#env.tenantDb);
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++];
        if (name) await db.createCollection(name);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }

  #copy(index: number) {
    const t = this.#template;
    const now = new Date();
    const _id = new ObjectId();
    const adminId = new ObjectId();
    const name = orgName(index);
    const slug = this.#toSlug(name);
    const email = adminEmail(index);
    return {
      org: { ...t.org, _id, name, slug, placement: this.#placementFor(slug), adminId, createdAt: now, updatedAt: now },
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
      seeded: { index, name, slug, orgId: _id.toHexString(), adminId: adminId.toHexString(), email } satisfies SeededOrg,
    };
  }
}

interface SeederModules {
  PlacementPolicy: typeof import('#core/tenancy/placement-policy.ts').PlacementPolicy;
  collectionLabel(slug: string): string;
  toSlug(name: string): string;
}
