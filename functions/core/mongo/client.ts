import { MongoClient } from 'mongodb';
import { PromiseCache } from '../cache.ts';
import type { DatabaseConfig } from '../config.ts';
import { getSecretString } from '../secrets.ts';

/**
 * One MongoClient per container, created on first use and reused by every invocation. Tuned for
 * Lambda: a small pool, no idle connections kept for long, and a server selection timeout well
 * below API Gateway's 30 s so a dead database answers 503 instead of timing out.
 */

const clients = new PromiseCache<true, MongoClient>();

/** The connection string: MONGODB_URI when set, else the Secrets Manager secret (cached). */
export async function resolveMongoUri(config: DatabaseConfig): Promise<string> {
  if (config.uri) return config.uri;
  if (config.secretId) return (await getSecretString(config.secretId)).trim();
  throw new Error('No MongoDB connection string configured');
}

export function createMongoClient(uri: string, config: DatabaseConfig): MongoClient {
  return new MongoClient(uri, {
    maxPoolSize: config.maxPoolSize,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: config.serverSelectionTimeoutMS,
    connectTimeoutMS: config.serverSelectionTimeoutMS,
    appName: 'orgs-service',
  });
}

/**
 * The container's client. The driver connects lazily on the first operation, so creating it costs
 * no round trip; a failed secret fetch is retried on the next call.
 */
export function getMongoClient(config: DatabaseConfig): Promise<MongoClient> {
  return clients.get(true, () => resolveMongoUri(config).then((uri) => createMongoClient(uri, config)));
}

/** Closes the container's client (local API shutdown, tests). */
export async function closeMongoClient(): Promise<void> {
  const current = clients.peek(true);
  clients.clear();
  if (current) await (await current).close();
}
