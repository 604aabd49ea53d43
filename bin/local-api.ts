#!/usr/bin/env node
/**
 * `npm start`: every route of the route table on http://127.0.0.1:$PORT (default 3000), through the
 * same handlers and authorizer as in AWS, on MONGODB_URI or an embedded database it starts and stops.
 */
// First: readable logs, set up before any function module loads Powertools.
import './local-api/readable-logs.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routes } from '../lib/routes.ts';
import { type EmbeddedMongo, startEmbeddedMongo } from './embedded-db/embedded-db.ts';
import { docsAnswer } from './local-api/docs.ts';
import { createLocalApi, handlerLoader } from './local-api/gateway.ts';
import { ensureLocalKeys } from './local-api/keys.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

let db: EmbeddedMongo | undefined;
if (!process.env.MONGODB_URI) {
  db = await startEmbeddedMongo();
  process.env.MONGODB_URI = db.uri;
  console.log(`Embedded database (FerretDB) at ${db.uri}`);
}
await ensureLocalKeys(join(root, '.local', 'jwt-keys.json'));
// Email (invitations) goes to files in a folder, one JSON file per message, never to the network.
process.env.MAILER ??= 'mailbox';
process.env.MAILBOX_DIR ??= join(root, '.local', 'mailbox');
console.log(`Email goes to ${process.env.MAILBOX_DIR} (MAILER=${process.env.MAILER})`);

// The deploy-time database setup (the db-setup function's), once, before any request is served.
const { databaseSetup } = await import('#core/compose/setup.ts');
const setup = await databaseSetup()();
if (setup.status !== 'done') throw new Error(`Database setup did not run: ${setup.reason}`);

const load = handlerLoader(root);

// The dispatcher (a scheduled function in AWS) every DISPATCH_INTERVAL_MS (2 s), so webhooks arrive
// while you work; loopback endpoints (http://127.0.0.1:<port>/...) are allowed here, never in AWS.
process.env.WEBHOOK_ALLOW_LOOPBACK ??= 'true';
const dispatchMs = Number(process.env.DISPATCH_INTERVAL_MS ?? 2_000);
if (!Number.isFinite(dispatchMs) || dispatchMs < 100) throw new Error('DISPATCH_INTERVAL_MS must be 100 or more');
const { handler: dispatch } = await import('../functions/dispatcher/handler.ts');
let dispatching = false;
const dispatcherTimer = setInterval(() => {
  if (dispatching) return;
  dispatching = true;
  dispatch()
    .catch(() => undefined) // logged by the function; the next tick tries again
    .finally(() => {
      dispatching = false;
    });
}, dispatchMs);
console.log(`Dispatcher runs every ${dispatchMs} ms (webhooks to loopback allowed locally)`);

// The job worker (an SQS-driven function in AWS): the same handler, woken by an in-process timer
// queue; every JOB_SWEEP_INTERVAL_MS (5 s) a sweep wakes jobs nobody works on (after a restart, say).
const { InProcessJobQueue, localJobQueue } = await import('#core/jobs/local-queue.ts');
const { handler: jobWorker } = await import('../functions/job-worker/handler.ts');
const jobQueue = new InProcessJobQueue((jobId) =>
  jobWorker({ Records: [{ messageId: `local-${jobId}-${Date.now()}`, body: JSON.stringify({ jobId }) }] } as never),
);
if (!process.env.JOB_QUEUE_URL) localJobQueue.current = jobQueue;
const sweepMs = Number(process.env.JOB_SWEEP_INTERVAL_MS ?? 5_000);
if (!Number.isFinite(sweepMs) || sweepMs < 100) throw new Error('JOB_SWEEP_INTERVAL_MS must be 100 or more');
const { organizations } = await import('#core/app.ts');
const orgService = organizations();
const sweepTimer = setInterval(() => {
  orgService()
    .then((service) => service.jobs.sweep())
    .catch(() => undefined); // the next tick tries again
}, sweepMs);
sweepTimer.unref();
console.log(`Job worker runs in this process (sweep every ${sweepMs} ms)`);

// LOCAL_API_AUTHORIZER_CACHE_SECONDS: API Gateway's authorizer result cache (0, the dev stage's, by default).
const authorizerCacheSeconds = Number(process.env.LOCAL_API_AUTHORIZER_CACHE_SECONDS ?? 0);
if (!Number.isFinite(authorizerCacheSeconds) || authorizerCacheSeconds < 0) {
  throw new Error('LOCAL_API_AUTHORIZER_CACHE_SECONDS must be a number of seconds, 0 or more');
}
const server = createLocalApi({ routes, load, extra: docsAnswer, authorizerCacheSeconds });
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(`Local API listening on http://${host}:${actual} (docs at http://${host}:${actual}/docs)`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  clearInterval(dispatcherTimer);
  clearInterval(sweepTimer);
  server.close();
  await jobQueue.stop();
  server.closeAllConnections();
  const { closeMongoClient } = await import('#core/mongo/client.ts');
  await closeMongoClient().catch(() => {});
  await db?.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
