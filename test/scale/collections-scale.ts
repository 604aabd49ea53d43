#!/usr/bin/env node
/**
 * `npm run scale:collections`: the driver's `findOne` by `_id` on one tenant collection as the
 * tenant database holds more collections (collection mode), each collection read several times in a
 * row, so that a cost of the first read (a cold cache) shows apart from a cost of every read.
 *
 *   npm run scale:collections [-- --counts 100,1000,10000 --samples 40 --reads 5]
 *
 * Seeds with the bench's seeder (each organization with its master documents, its collection, its
 * index and a few records), then for `--samples` distinct random organizations reads one record by `_id`
 * (`{ _id, gen: null }`, the records read's own filter) `--reads` times and prints the p50 of each
 * read in ms. Uses MONGODB_URI when set, else the embedded FerretDB (`EMBEDDED_DB=postgresql` for
 * its PostgreSQL backend). Numbers from FerretDB describe FerretDB.
 */
import { parseArgs } from 'node:util';
import { ObjectId } from 'mongodb';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { createBenchEnv } from '../../bin/bench/env.ts';
import { Seeder } from '../../bin/bench/seed.ts';
import { summarize } from '../../bin/bench/stats.ts';

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '100,1000,10000' },
    samples: { type: 'string', default: '40' },
    reads: { type: 'string', default: '5' },
  },
});
const counts = (values.counts ?? '').split(',').map(Number);
const SAMPLES = Number(values.samples);
const READS = Number(values.reads);
if (counts.some((n) => !Number.isInteger(n) || n < 1) || !(SAMPLES >= 1) || !(READS >= 1)) {
  console.error('--counts takes positive integers (comma-separated); --samples and --reads positive numbers');
  process.exit(2);
}

const env = await createBenchEnv({ bcryptCost: 10 });
try {
  const seeder = await Seeder.start(env);
  console.log(`findOne by _id on a tenant collection (${env.server.label}), p50 ms of each read in a row`);
  console.log(`organizations  seeded in  ${Array.from({ length: READS }, (_, k) => `read ${k + 1}`).join('  ')}`);
  for (const count of counts) {
    const grown = await seeder.growTo(count, { mode: 'collection', parallel: 4 });
    const all = seeder.of('collection');
    // Distinct organizations in random order, so that a first read is a first read.
    const sample = all
      .map((org) => ({ org, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .slice(0, SAMPLES)
      .map(({ org }) => org);
    const times: number[][] = Array.from({ length: READS }, () => []);
    for (const org of sample) {
      const doc = await env.client
        .db(env.masterDb)
        .collection(C.organizations)
        .findOne({ _id: new ObjectId(org.orgId) });
      if (!doc) throw new Error(`seeded organization ${org.orgId} not found`);
      const place = doc.placement as { database: string; collection: string; gen?: number };
      const collection = env.client.db(place.database).collection(place.collection);
      for (let r = 0; r < READS; r++) {
        const started = performance.now();
        const record = await collection.findOne({ _id: new ObjectId(org.recordId), gen: place.gen ?? null });
        times[r]?.push(performance.now() - started);
        if (!record) throw new Error(`record ${org.recordId} of ${org.orgId} not found`);
      }
    }
    const p50s = times.map((t) => summarize(t).p50.toFixed(2).padStart(6));
    console.log(`${String(all.length).padStart(13)}  ${`${grown.seconds.toFixed(0)} s`.padStart(9)}  ${p50s.join('  ')}`);
  }
} finally {
  await env.close();
}
process.exit(0);
