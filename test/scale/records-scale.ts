#!/usr/bin/env node
/**
 * `npm run scale`: records latency at 20 and at 2,000 organizations per placement mode, in one run.
 *
 *   npm run scale [-- --orgs 2000 --small 20 --samples 300 --concurrency 4]
 *
 * Organizations of both modes live side by side in one deployment (one master database), each with
 * one record. At each size, for each mode, it times a records read (GET /org/records/{id}) and a
 * records write (POST /org/records) through the real Lambda handlers (request parsing, the placement
 * lookup and its post-write check, the database), one request at a time on random organizations of
 * that mode, with the placement cache off so that every request pays for its lookups. The
 * authorizer is not part of the timing. Uses MONGODB_URI when set (its scale_* databases are dropped
 * afterwards), else a private embedded FerretDB (SQLite): numbers from FerretDB describe FerretDB.
 */
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId } from 'mongodb';
import { startEmbeddedMongo } from '../../bin/embedded-db/embedded-db.ts';

const { values } = parseArgs({
  options: {
    orgs: { type: 'string', default: '2000' },
    small: { type: 'string', default: '20' },
    samples: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
  },
});
const TARGET = Number(values.orgs);
const SMALL = Number(values.small);
const SAMPLES = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);

const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
const uri = process.env.MONGODB_URI ?? embedded?.uri ?? '';
Object.assign(process.env, {
  MONGODB_URI: uri,
  MASTER_DB_NAME: 'scale_master',
  TENANT_DB_NAME: 'scale_tenants',
  NODE_ENV: 'test',
  BCRYPT_COST: '4',
  PLACEMENT_CACHE_SECONDS: '0',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});

// Loaded after the settings above: handlers read their configuration when they load.
const { createPasswordHasher } = await import('#core/auth/passwords.ts');
const { mongoOrgStores } = await import('#core/mongo/stores.ts');
const { createMasterIndexes } = await import('#core/mongo/indexes.ts');
const { OrganizationService } = await import('#core/orgs/service.ts');
const { PlacementPolicy } = await import('#core/tenancy/placement-policy.ts');
const { closeMongoClient } = await import('#core/mongo/client.ts');
const { handler: createRecord } = await import('../../functions/records-create/handler.ts');
const { handler: getRecord } = await import('../../functions/records-get/handler.ts');
const { invoke } = await import('../support/events.ts');

type Mode = 'collection' | 'database';
const MODES: Mode[] = ['collection', 'database'];
type Caller = { userId: string; orgId: string };

const client = new MongoClient(uri);
await createMasterIndexes(client.db('scale_master'));
const hasher = createPasswordHasher(4);
const services = Object.fromEntries(
  MODES.map((mode) => {
    const placements = new PlacementPolicy('scale_tenants', mode);
    return [
      mode,
      new OrganizationService({
        stores: mongoOrgStores(client, 'scale_master', placements),
        hasher,
        placements,
        leaseMs: 120_000,
      }),
    ];
  }),
) as Record<Mode, InstanceType<typeof OrganizationService>>;

const orgs: Record<Mode, { caller: Caller; recordId: string; database: string; collection: string }[]> = {
  collection: [],
  database: [],
};
const notes: string[] = [];

async function addOrg(mode: Mode, n: number): Promise<void> {
  const { org } = await services[mode].create({
    name: `scale ${mode} ${n}`,
    email: `scale-${mode}-${n}@scale.example`,
    password: 'scale password',
  });
  const caller = { userId: org.adminId, orgId: org.id };
  const created = await invoke(createRecord, {
    method: 'POST',
    path: '/org/records',
    caller,
    body: { n, mode, note: 'first record' },
  });
  if (created.status !== 201) throw new Error(`record create answered ${created.status}: ${JSON.stringify(created.body)}`);
  orgs[mode].push({ caller, recordId: created.body.id, database: org.placement.database, collection: org.placement.collection });
}

/** Grows `mode` to `count` organizations, `CONCURRENCY` at a time; stops early (with a note) if the server gives up. */
async function grow(mode: Mode, count: number): Promise<void> {
  const started = performance.now();
  let next = orgs[mode].length;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (failure === undefined && next < count) {
        const n = next++;
        try {
          await addOrg(mode, n);
        } catch (error) {
          failure ??= error;
        }
      }
    }),
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (failure !== undefined) {
    notes.push(`${mode}: stopped at ${orgs[mode].length} organizations: ${(failure as Error).message}`);
  }
  process.stderr.write(`${mode}: ${orgs[mode].length} organizations (${seconds} s)\n`);
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

async function measure(mode: Mode) {
  const reads: number[] = [];
  const writes: number[] = [];
  // The two lookups inside a request, alone, straight through the driver: what each costs here.
  const masterLookups: number[] = [];
  const placeLookups: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) {
    const target = pick(orgs[mode]);
    const t0 = performance.now();
    await client
      .db('scale_master')
      .collection('organizations')
      .findOne({ _id: new ObjectId(target.caller.orgId) });
    const t1 = performance.now();
    await client
      .db(target.database)
      .collection(target.collection)
      .findOne({ _id: new ObjectId(target.recordId) });
    masterLookups.push(t1 - t0);
    placeLookups.push(performance.now() - t1);
  }
  for (let i = 0; i < SAMPLES; i += 1) {
    const target = pick(orgs[mode]);
    const t0 = performance.now();
    const read = await invoke(getRecord, {
      method: 'GET',
      path: `/org/records/${target.recordId}`,
      params: { id: target.recordId },
      caller: target.caller,
    });
    const t1 = performance.now();
    const write = await invoke(createRecord, {
      method: 'POST',
      path: '/org/records',
      caller: pick(orgs[mode]).caller,
      body: { i },
    });
    const t2 = performance.now();
    if (read.status !== 200 || write.status !== 201) throw new Error(`unexpected answers ${read.status} / ${write.status}`);
    reads.push(t1 - t0);
    writes.push(t2 - t1);
  }
  return {
    mode,
    orgs: orgs[mode].length,
    read: stats(reads),
    write: stats(writes),
    master: stats(masterLookups),
    place: stats(placeLookups),
  };
}

const rows: Awaited<ReturnType<typeof measure>>[] = [];
try {
  for (const size of [SMALL, TARGET]) {
    for (const mode of MODES) await grow(mode, size);
    for (const mode of MODES) {
      await measure(mode); // warm-up: connections, code paths
      rows.push(await measure(mode));
    }
  }
} finally {
  const f = (ms: number) => ms.toFixed(1).padStart(8);
  console.log(
    `\nrecords latency in ms (${SAMPLES} sequential samples each; ${embedded ? 'embedded FerretDB 1.24 on SQLite' : 'MONGODB_URI'})`,
  );
  console.log('mode        orgs/mode   read p50  read p95  write p50 write p95 | org by id p50  record by id p50');
  for (const r of rows) {
    const row = [f(r.read.p50), f(r.read.p95), f(r.write.p50), f(r.write.p95)].join('  ');
    console.log(`${r.mode.padEnd(11)} ${String(r.orgs).padStart(9)} ${row} | ${f(r.master.p50)}      ${f(r.place.p50)}`);
  }
  console.log('(a records read looks its organization up by id twice and the record once; a write, the organization twice)');
  for (const note of notes) console.log(`note: ${note}`);
  await closeMongoClient();
  if (!embedded) {
    const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
    for (const { name } of databases) if (name.startsWith('scale_')) await client.db(name).dropDatabase();
  }
  await client.close();
  await embedded?.stop();
}
