#!/usr/bin/env node
/**
 * `npm run bench:move`: records per second a move job copies (verified batches, a checkpoint each),
 * beside a baseline from the same run: the bare driver copying the same documents between the same
 * two places (one `find` in `_id` order, `insertMany` per batch, nothing verified, no checkpoint). The
 * ratio is the figure that counts (the machine is shared). The baseline reads the source with one
 * cursor, as the job does within one worker invocation. Uses MONGODB_URI, else the embedded FerretDB
 * (`EMBEDDED_DB`: SQLite by default, or PostgreSQL).
 *
 * Options: --records N (default 50000), --batch N (records per step, default the move's 1000).
 */
import { parseArgs } from 'node:util';
import { type Document, ObjectId } from 'mongodb';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { database } from '#core/compose/database.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { createMasterIndexes } from '#core/mongo/indexes.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { MOVE_BATCH } from '#core/orgs/move.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { embeddedBackend, startEmbeddedMongo } from './embedded-db/embedded-db.ts';

const { values } = parseArgs({ options: { records: { type: 'string' }, batch: { type: 'string' } } });
const total = Number(values.records ?? 50_000);
const batch = Number(values.batch ?? MOVE_BATCH);
if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(batch) || batch < 1) {
  console.error('--records and --batch must be whole numbers of 1 or more');
  process.exit(2);
}

const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
const uri = process.env.MONGODB_URI ?? embedded?.uri ?? '';
const run = Math.random().toString(16).slice(2, 10);
const masterName = `bench_move_${run}`;
const tenantName = `${masterName}_t`;
Object.assign(process.env, { MONGODB_URI: uri, MASTER_DB_NAME: masterName, TENANT_DB_NAME: tenantName });
const { client } = await database({ requireSetUp: false })();

try {
  const master = client.db(masterName);
  await createMasterIndexes(master);
  const policy = new PlacementPolicy(tenantName, 'collection', collectionLabel);
  const service = new OrganizationService({
    stores: mongoOrgStores(client, masterName, policy),
    hasher: createPasswordHasher(4),
    placements: policy,
    leaseMs: 120_000,
    jobs: { moveBatch: batch },
  });
  const { org } = await service.create({
    name: `Bench Move ${run}`,
    email: `move-${run}@bench.example`,
    password: 'bench password',
  });
  const source = client.db(org.placement.database).collection(org.placement.collection);
  const at = new Date();
  for (let start = 0; start < total; start += 10_000) {
    const docs = Array.from({ length: Math.min(10_000, total - start) }, (_, i) => ({
      _id: new ObjectId(),
      gen: org.placement.gen,
      rev: 0,
      createdAt: at,
      updatedAt: at,
      data: { n: start + i, name: `record ${start + i}`, tags: ['a', 'b'] },
    }));
    await source.insertMany(docs, { ordered: false });
  }

  // Baseline: the bare driver, the same documents, the same batch size, into another collection.
  const copy = client.db(tenantName).collection(`bench_copy_${run}`);
  const baselineStart = performance.now();
  let docs: Document[] = [];
  for await (const doc of source.find({}).sort({ _id: 1 }).batchSize(batch)) {
    docs.push(doc);
    if (docs.length === batch) {
      await copy.insertMany(docs, { ordered: false });
      docs = [];
    }
  }
  if (docs.length > 0) await copy.insertMany(docs, { ordered: false });
  const baselineMs = performance.now() - baselineStart;
  await copy.drop();

  // The move job, worked on in this process to its end.
  const start = performance.now();
  const { job } = await service.startMove({ id: org.id }, 'database');
  const ended = job ? await service.jobs.runToEnd(job.id, { budgetMs: 3_600_000 }) : undefined;
  const moveMs = performance.now() - start;
  if (ended?.state !== 'succeeded') throw new Error(`the move did not succeed: ${ended?.state}`);

  const rate = (ms: number) => Math.round((total / ms) * 1000);
  console.log(
    `server: ${embedded ? `embedded FerretDB (${embeddedBackend() === 'postgresql' ? 'PostgreSQL' : 'SQLite'})` : 'MONGODB_URI'}; ${total} records, ${batch} a batch`,
  );
  console.log('| what | records/s | ms |');
  console.log('| --- | ---: | ---: |');
  console.log(`| baseline: driver find + insertMany, unverified | ${rate(baselineMs)} | ${Math.round(baselineMs)} |`);
  console.log(`| move job: verified batches, a checkpoint each, switch, drop | ${rate(moveMs)} | ${Math.round(moveMs)} |`);
  console.log(`ratio move/baseline: ${(rate(moveMs) / rate(baselineMs)).toFixed(2)}`);
  const moved = await mongoOrgStores(client, masterName, policy).orgs.findById(org.id);
  if (moved) await client.db(moved.placement.database).dropDatabase();
  await master.dropDatabase();
  await client.db(tenantName).dropDatabase();
} finally {
  await closeMongoClient();
  await embedded?.stop();
}
