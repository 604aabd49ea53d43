#!/usr/bin/env node
/**
 * `npm run scale:members`: the members list at 100 and at 10,000 members in one organization.
 *
 *   npm run scale:members [-- --members 10000 --small 100 --samples 50]
 *
 * Two organizations, one with `--small` members and one with `--members`, made through the real
 * create route and then filled by bulk inserts in the shape the stores write. For each, it times
 * GET /org/members (limit 50) through the real handler (query parsing, the membership page, the
 * users' emails; the authorizer is not part of the timing) at the first page, the middle and the
 * last page, one request at a time, next to the same two queries sent by the bare driver at the same
 * positions (the baseline: what the database itself costs). Uses MONGODB_URI when set (its
 * scale_members_* databases are dropped afterwards), else a private embedded FerretDB; set
 * EMBEDDED_DB=postgresql for its PostgreSQL backend. Numbers from FerretDB describe FerretDB.
 */
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../../bin/embedded-db/embedded-db.ts';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '10000' },
    small: { type: 'string', default: '100' },
    samples: { type: 'string', default: '50' },
  },
});
const LARGE = Number(values.members);
const SMALL = Number(values.small);
const SAMPLES = Number(values.samples);
const PAGE = 50;

const backend = process.env.EMBEDDED_DB === 'postgresql' ? 'postgresql' : 'sqlite';
const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo({ backend });
const uri = process.env.MONGODB_URI ?? embedded?.uri ?? '';
Object.assign(process.env, {
  MONGODB_URI: uri,
  MASTER_DB_NAME: 'scale_members_master',
  TENANT_DB_NAME: 'scale_members_tenants',
  NODE_ENV: 'test',
  BCRYPT_COST: '4',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});

// Loaded after the settings above: handlers read their configuration when they load.
const { createMasterIndexes } = await import('#core/mongo/indexes.ts');
const { MASTER_COLLECTIONS: C } = await import('#core/mongo/collections.ts');
const { closeMongoClient } = await import('#core/mongo/client.ts');
const { handler: createOrg } = await import('../../functions/org-create/handler.ts');
const { handler: listMembers } = await import('../../functions/members-list/handler.ts');
const { invoke } = await import('../support/events.ts');

const client = new MongoClient(uri);
const master = client.db('scale_members_master');
await createMasterIndexes(master);

/** An organization with `count` members (its owner included). */
async function organizationWith(count: number, label: string) {
  const answer = await invoke(createOrg, {
    method: 'POST',
    path: '/org/create',
    body: { organization_name: `Members ${label}`, email: `owner@${label}.example`, password: 'scale password 1' },
  });
  if (answer.status !== 201) throw new Error(`create answered ${answer.status}`);
  const orgId = new ObjectId(answer.body.organization_id as string);
  const owner = await master.collection(C.admins).findOne({ email: `owner@${label}.example` });
  if (!owner) throw new Error('no owner');
  const now = new Date();
  for (let start = 1; start < count; start += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => {
      const userId = new ObjectId();
      return {
        user: {
          _id: userId,
          email: `m${start + i}@${label}.example`,
          passwordHash: 'x',
          tokenVersion: 0,
          schemaVersion: 2,
          createdAt: now,
          updatedAt: now,
        },
        membership: {
          _id: `${orgId.toHexString()}:${userId.toHexString()}`,
          orgId,
          userId,
          role: 'member',
          createdAt: now,
          updatedAt: now,
        },
      };
    });
    await master.collection(C.admins).insertMany(batch.map((b) => b.user));
    await master.collection<{ _id: string }>(C.memberships).insertMany(batch.map((b) => b.membership));
  }
  const ids = (
    await master
      .collection<{ _id: string }>(C.memberships)
      .find({ orgId }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .toArray()
  ).map((d) => d._id);
  return { orgId, ownerId: owner._id.toHexString(), ids };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function time(run: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await run(); // warm
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await run();
    ms.push(performance.now() - t);
  }
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95) };
}

const rows: string[] = [];
try {
  for (const [count, label] of [
    [SMALL, `small-${SMALL}`],
    [LARGE, `large-${LARGE}`],
  ] as const) {
    const seeded = performance.now();
    const org = await organizationWith(count, label);
    const seedMs = performance.now() - seeded;
    const caller = { userId: org.ownerId, orgId: org.orgId.toHexString(), role: 'owner' };
    const positions: [string, string | undefined][] = [
      ['first page', undefined],
      ['middle', org.ids[Math.floor(org.ids.length / 2)]],
      ['last page', org.ids[Math.max(0, org.ids.length - PAGE - 1)]],
    ];
    for (const [where, cursor] of positions) {
      const route = await time(async () => {
        const answer = await invoke(listMembers, {
          method: 'GET',
          path: '/org/members',
          caller,
          query: { limit: String(PAGE), ...(cursor ? { cursor } : {}) },
        });
        if (answer.status !== 200 || answer.body.members.length === 0) throw new Error(`list answered ${answer.status}`);
      });
      const bare = await time(async () => {
        const page = await master
          .collection<{ _id: string; userId: ObjectId }>(C.memberships)
          .find(cursor ? { orgId: org.orgId, _id: { $gt: cursor } } : { orgId: org.orgId })
          .sort({ _id: 1 })
          .limit(PAGE + 1)
          .toArray();
        await master
          .collection(C.admins)
          .find({ _id: { $in: page.map((m) => m.userId) } })
          .toArray();
      });
      rows.push(
        `| ${count.toLocaleString('en')} | ${where} | ${route.p50.toFixed(1)} | ${route.p95.toFixed(1)} | ${bare.p50.toFixed(1)} | ${bare.p95.toFixed(1)} | ${(route.p50 / bare.p50).toFixed(2)}x |`,
      );
    }
    console.log(`seeded ${count} members in ${(seedMs / 1000).toFixed(1)} s`);
  }
  console.log(
    `\nGET /org/members?limit=${PAGE}, ${SAMPLES} samples each, ms (${process.env.MONGODB_URI && !embedded ? 'MONGODB_URI' : `embedded FerretDB, ${backend}`})\n`,
  );
  console.log('| members | position | route p50 | route p95 | bare driver p50 | bare driver p95 | route / bare (p50) |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
} finally {
  await client.db('scale_members_master').dropDatabase();
  await client.db('scale_members_tenants').dropDatabase();
  await client.close();
  await closeMongoClient();
  await embedded?.stop();
}
