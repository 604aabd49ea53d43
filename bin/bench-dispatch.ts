#!/usr/bin/env node
/**
 * `npm run bench:dispatch`: the dispatcher's throughput, events per second delivered (signed, over
 * HTTP, each attempt recorded) to a local receiver, beside a baseline from the same run: the same
 * number of signed POSTs sent straight to the same receiver at the same concurrency, with no database.
 * The ratio is the figure that counts (the machine is shared). Uses MONGODB_URI, else the embedded
 * FerretDB (SQLite: every filter but `_id` scans, so the database share is an upper bound).
 *
 * Options: --events N (default 2000), --concurrency N (default 16).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { database } from '#core/compose/database.ts';
import { eventLogOn } from '#core/events/index.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { createMasterIndexes } from '#core/mongo/indexes.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { mongoWebhookStore } from '#core/mongo/webhook-store.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { systemResolver } from '#core/webhooks/address-guard.ts';
import { Dispatcher } from '#core/webhooks/dispatcher.ts';
import { sendWebhook } from '#core/webhooks/sender.ts';
import { WebhooksService } from '#core/webhooks/service.ts';
import { startEmbeddedMongo } from './embedded-db/embedded-db.ts';

const { values } = parseArgs({ options: { events: { type: 'string' }, concurrency: { type: 'string' } } });
const total = Number(values.events ?? 2_000);
const concurrency = Number(values.concurrency ?? 16);
if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(concurrency) || concurrency < 1) {
  console.error('--events and --concurrency must be whole numbers of 1 or more');
  process.exit(2);
}

const embedded = process.env.MONGODB_URI ? undefined : await startEmbeddedMongo();
const uri = process.env.MONGODB_URI ?? embedded?.uri ?? '';
const run = Math.random().toString(16).slice(2, 10);
const masterName = `bench_dispatch_${run}`;
// The product's client (with its health watch, which the stores' outage mapping reads).
Object.assign(process.env, { MONGODB_URI: uri, MASTER_DB_NAME: masterName, TENANT_DB_NAME: `${masterName}_t` });
const { client } = await database({ requireSetUp: false })();
let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received += 1;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

try {
  const master = client.db(masterName);
  await createMasterIndexes(master);
  const stores = mongoOrgStores(client, masterName, new PlacementPolicy(`${masterName}_t`, 'collection'));
  const events = eventLogOn(stores, { retentionMs: 86_400_000 });
  const webhooks = mongoWebhookStore(master);
  const orgId = '0123456789abcdef01234567';
  const endpoint = await new WebhooksService({ webhooks, events, allowLoopback: true }).register(
    { orgId, userId: orgId },
    { url, eventTypes: [] },
  );
  for (let i = 0; i < total; i += 1) {
    await events.record({ orgId, type: 'plan.changed', target: { type: 'organization', id: orgId }, data: { n: i } });
  }

  // Baseline: the same signed POSTs, straight to the receiver.
  const body = JSON.stringify({ id: 'evt_0', type: 'plan.changed', data: { n: 0 } });
  const signer = new Webhook(endpoint.secret);
  let next = 0;
  const baselineStart = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        const at = new Date();
        await sendWebhook(
          url,
          body,
          {
            'webhook-id': `evt_${next}`,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': signer.sign(`evt_${next}`, at, body),
          },
          { resolve: systemResolver, allowLoopback: true, timeoutMs: 10_000 },
        );
      }
    }),
  );
  const baselineMs = performance.now() - baselineStart;
  received = 0;

  // The dispatcher: runs until every event has been delivered.
  const dispatcher = new Dispatcher(
    { events: stores.events, webhooks, eventLog: events },
    { retentionMs: 86_400_000, allowLoopback: true, concurrency, eventBatch: 100, deliveryBatch: 100 },
  );
  const start = performance.now();
  let runs = 0;
  while (received < total && runs < 10_000) {
    await dispatcher.run();
    runs += 1;
  }
  const dispatchMs = performance.now() - start;

  const rate = (ms: number) => Math.round((total / ms) * 1000);
  console.log(`server: ${embedded ? 'embedded FerretDB (SQLite)' : 'MONGODB_URI'}; ${total} events, concurrency ${concurrency}`);
  console.log('| what | events/s | ms |');
  console.log('| --- | ---: | ---: |');
  console.log(`| baseline: signed POSTs straight to the receiver | ${rate(baselineMs)} | ${Math.round(baselineMs)} |`);
  console.log(
    `| dispatcher: fan-out, delivery, attempt records (${runs} runs) | ${rate(dispatchMs)} | ${Math.round(dispatchMs)} |`,
  );
  console.log(`ratio dispatcher/baseline: ${(rate(dispatchMs) / rate(baselineMs)).toFixed(2)}`);
  await master.dropDatabase();
} finally {
  receiver.close();
  await closeMongoClient();
  await embedded?.stop();
}
