import type { MongoClient } from 'mongodb';
import { PromiseCache } from '../cache.ts';
import { ensureAuthIndexes } from './auth-stores.ts';

const ensured = new WeakMap<MongoClient, PromiseCache<string, void>>();

/** Creates the master indexes once per container and database (idempotent on the server). */
export function ensureMasterIndexes(client: MongoClient, masterDb: string): Promise<void> {
  let byDb = ensured.get(client);
  if (!byDb) {
    byDb = new PromiseCache<string, void>();
    ensured.set(client, byDb);
  }
  return byDb.get(masterDb, () => {
    const db = client.db(masterDb);
    return Promise.all([
      db.collection('organizations').createIndex({ slug: 1 }, { unique: true, name: 'slug_unique' }),
      db.collection('admins').createIndex({ email: 1 }, { unique: true, name: 'email_unique' }),
      db.collection('admins').createIndex({ orgId: 1 }, { name: 'org' }),
      db.collection('org_names').createIndex({ orgId: 1 }, { name: 'org' }),
      db.collection('org_locks').createIndex({ startedAt: 1 }, { name: 'started' }),
      ensureAuthIndexes(db),
    ]).then(() => undefined);
  });
}
