#!/usr/bin/env node
/**
 * `npm run bench:monitoring`: what the driver's command monitoring costs the client. Two clients of
 * the same server, one made as the service makes it (`createMongoClient`: no command monitoring), one
 * with `monitorCommands=true` and a listener on `commandSucceeded` (what the service had, to sum
 * database time), run the same `findOne` by an indexed string field on an organization-like document,
 * in alternating rounds; prints the client process's CPU per call (user + system, µs) for each, p50
 * over the rounds. Uses MONGODB_URI, else the embedded FerretDB.
 *
 * Options: --calls N per round and client (default 3000), --rounds N (default 16).
 */
import { parseArgs } from 'node:util';
import { type MongoClient, ObjectId } from 'mongodb';
import { databaseConfig } from '#core/config.ts';
import { createMongoClient } from '#core/mongo/client.ts';
import { startEmbeddedMongo } from './embedded-db/embedded-db.ts';

const { values } = parseArgs({ options: { calls: { type: 'string' }, rounds: { type: 'string' } } });
const calls = Number(values.calls ?? 3_000);
const rounds = Number(values.rounds ?? 16);
if (!(Number.isInteger(calls) && calls > 0 && Number.isInteger(rounds) && rounds > 1)) {
  console.error('--calls takes a positive integer, --rounds an integer above 1');
  process.exit(2);
}

const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
const uri = process.env.MONGODB_URI ?? embedded?.uri ?? '';
process.env.MONGODB_URI ??= uri;
const config = databaseConfig();
const withParam = (extra: string) => `${uri}${uri.includes('?') ? '&' : '?'}${extra}`;
const dbName = `bench_monitoring_${process.pid}`;

const plain = createMongoClient(uri, config);
const monitored = createMongoClient(withParam('monitorCommands=true'), config);
let durations = 0;
monitored.on('commandSucceeded', (event) => {
  durations += event.duration;
});

try {
  const orgs = plain.db(dbName).collection('organizations');
  await orgs.createIndex({ slug: 1 }, { unique: true });
  const now = new Date();
  await orgs.insertMany(
    Array.from({ length: 8 }, (_, i) => ({
      _id: new ObjectId(),
      name: `Organization ${i}`,
      slug: `organization-${i}`,
      status: 'active',
      placement: { mode: 'collection', collection: `org_${new ObjectId().toHexString()}` },
      createdAt: now,
      updatedAt: now,
      gen: 1,
    })),
  );

  const cpuPerCall = async (client: MongoClient): Promise<number> => {
    const collection = client.db(dbName).collection('organizations');
    const started = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      if (!(await collection.findOne({ slug: `organization-${i % 8}` }))) throw new Error('organization not found');
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / calls;
  };
  const results = { off: [] as number[], on: [] as number[] };
  for (let round = 0; round <= rounds; round++) {
    // Round 0 warms both clients (connections, JIT) and is not counted; the order alternates.
    const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const side of order) {
      const us = await cpuPerCall(side === 'off' ? plain : monitored);
      if (round > 0) results[side].push(us);
    }
  }
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const off = p50(results.off);
  const on = p50(results.on);
  console.log(`findOne by slug, ${calls} calls x ${rounds} rounds per client, client CPU per call (µs, p50 of rounds)`);
  console.log(`  command monitoring off (the service's client): ${off.toFixed(1)}`);
  console.log(
    `  command monitoring on, one listener:            ${on.toFixed(1)}  (+${(on - off).toFixed(1)}, ${((on / off - 1) * 100).toFixed(0)}%)`,
  );
  console.log(`  (the listener summed ${Math.round(durations)} ms of command durations)`);
} finally {
  await plain
    .db(dbName)
    .dropDatabase()
    .catch(() => {});
  await plain.close();
  await monitored.close();
  await embedded?.stop();
}
