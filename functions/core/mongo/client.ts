import { type Collection, type CollectionOptions, type Db, type DbOptions, MongoClient } from 'mongodb';
import { PromiseCache } from '../cache.ts';
import type { DatabaseConfig } from '../config.ts';
import { log } from '../log.ts';
import { getSecretString } from '../secrets.ts';
import { type DatabaseWatch, databaseWatch } from './health.ts';

/**
 * One MongoClient per container, created on first use and reused by every invocation, and replaced
 * when it stays unusable. Tuned for Lambda: a small pool, no idle connections kept for long, and
 * every wait on an unreachable database bounded by `MONGODB_SERVER_SELECTION_TIMEOUT_MS`, well
 * below API Gateway's 30 s, so the answer is a 503 rather than a timeout.
 */

/** The connection string: MONGODB_URI when set, else the Secrets Manager secret (cached). */
export async function resolveMongoUri(config: DatabaseConfig): Promise<string> {
  if (config.uri) return config.uri;
  if (config.secretId) return (await getSecretString(config.secretId)).trim();
  throw new Error('No MongoDB connection string configured');
}

/**
 * A client whose every wait on the database is bounded by `serverSelectionTimeoutMS` (B):
 * choosing a server, opening a connection (the handshake and the monitor's checks time out after
 * connectTimeoutMS), and waiting for a pooled connection. Heartbeats come every B/2 (at least
 * every 500 ms, the driver's minimum), so a live server is heard from within any B-long call.
 * `timeoutMS` is not used: since driver 7.8 it has no effect (MongoDB Node.js driver 7.8 release
 * notes; per-stage timeouts instead). No socketTimeoutMS either: a long call on a live server is
 * legitimate (a copy), and a silent server is detected by the heartbeats (see health.ts).
 * Monitoring uses the driver's default mode, polling on AWS Lambda (serverMonitoringMode `auto`).
 * Command monitoring is off: with it on, the driver builds two event objects per command and
 * decodes every reply a second time, eagerly, for the event (0 to 45 µs of client CPU per `findOne`,
 * up to 13%, in four runs of `npm run bench:monitoring`). The invocation's database time is
 * taken around each store call instead (`callDatabase` in errors.ts). Tests and the bench turn it on
 * with `monitorCommands=true` in the connection string, to count the commands themselves.
 */
export function createMongoClient(uri: string, config: DatabaseConfig): MongoClient {
  const bound = config.serverSelectionTimeoutMS;
  const client = new MongoClient(uri, {
    maxPoolSize: config.maxPoolSize,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: bound,
    connectTimeoutMS: bound,
    waitQueueTimeoutMS: bound,
    heartbeatFrequencyMS: Math.max(500, Math.floor(bound / 2)),
    appName: 'orgs-service',
  });
  return client;
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * A stand-in for the object `resolve()` gives now: every property read goes to that object. Its
 * methods are bound once per object, not at every call.
 */
function live<T extends object>(first: T, resolve: () => T, own: Partial<Record<PropertyKey, unknown>> = {}): T {
  let boundTo: object = first;
  let methods = new Map<PropertyKey, { readonly of: unknown; readonly bound: unknown }>();
  return new Proxy(first, {
    get(_target, key) {
      if (Object.hasOwn(own, key)) return own[key];
      const real = resolve();
      const value: unknown = Reflect.get(real, key, real);
      if (typeof value !== 'function') return value;
      if (real !== boundTo) {
        boundTo = real;
        methods = new Map();
      }
      const known = methods.get(key);
      if (known?.of === value) return known.bound;
      const bound = (value as AnyFunction).bind(real);
      methods.set(key, { of: value, bound });
      return bound;
    },
  });
}

/** `make(client)` for the client current at each call, made once per client. */
function perClient<T>(current: () => MongoClient, make: (client: MongoClient) => T): () => T {
  let made: { readonly client: MongoClient; readonly value: T } | undefined;
  return () => {
    const client = current();
    if (made?.client !== client) made = { client, value: make(client) };
    return made.value;
  };
}

/** At most `limit` values by key, the least recently made going first (a Map keeps insertion order). */
function bounded<V>(limit: number): (key: string, make: () => V) => V {
  const values = new Map<string, V>();
  return (key, make) => {
    const known = values.get(key);
    if (known !== undefined) return known;
    const value = make();
    values.set(key, value);
    if (values.size > limit) values.delete(values.keys().next().value as string);
    return value;
  };
}

/**
 * How many databases, and collections per database, the handle keeps ready (the master's few, and
 * the places of the organizations a container serves most recently). Made again when needed.
 */
const KEPT_HANDLES = 500;

/**
 * The container's client behind a stable handle. Stores keep the handle (and the databases and
 * collections it gives) for good; each call they make goes to the client current at that moment.
 * When the watch calls the client stale, a new client takes over at once, and the old one is
 * closed only after every call that was running has ended, so no call loses its client midway.
 *
 * The driver's `Db` and `Collection` objects are made once per client and name (the driver makes
 * new ones, resolving their options, at every `db()` and `collection()` call), so a call through
 * the handle costs what a call on a kept collection costs.
 */
export class ClientKeeper {
  readonly handle: MongoClient;
  readonly #make: () => MongoClient;
  readonly #watch: DatabaseWatch;
  readonly #stopWatching: () => void;
  readonly #retiring = new Set<Promise<void>>();
  #current: MongoClient;
  #replacements = 0;

  constructor(make: () => MongoClient, watch: DatabaseWatch) {
    this.#make = make;
    this.#watch = watch;
    this.#current = this.#start();
    const current = () => this.#current;
    const collection = (db: () => Db, name: string, options?: CollectionOptions) => {
      const resolve = perClient(current, () => db().collection(name, options));
      return live<Collection>(resolve(), resolve);
    };
    const makeDb = (name?: string, options?: DbOptions) => {
      const resolve = perClient(current, (client) => client.db(name, options));
      const keptCollections = bounded<Collection>(KEPT_HANDLES);
      return live<Db>(resolve(), resolve, {
        collection: (collectionName: string, collectionOptions?: CollectionOptions) =>
          collectionOptions
            ? collection(resolve, collectionName, collectionOptions)
            : keptCollections(collectionName, () => collection(resolve, collectionName)),
      });
    };
    const keptDbs = bounded<Db>(KEPT_HANDLES);
    const db = (name?: string, options?: DbOptions) =>
      options || name === undefined ? makeDb(name, options) : keptDbs(name, () => makeDb(name));
    this.handle = live(this.#current, current, { db });
    this.#stopWatching = watch.onStale(() => this.replace('no call succeeded while calls kept failing'));
  }

  /** How many times the client was replaced. */
  get replacements(): number {
    return this.#replacements;
  }

  #start(): MongoClient {
    const client = this.#make();
    client.on('serverHeartbeatSucceeded', () => this.#watch.heard());
    this.#watch.renewed();
    return client;
  }

  /** Puts a new client in place now; the old one is closed once the calls running now have ended. */
  replace(reason: string): void {
    const old = this.#current;
    this.#current = this.#start();
    this.#replacements += 1;
    old.removeAllListeners('serverHeartbeatSucceeded');
    log.warn('database client replaced', { reason, replacements: this.#replacements });
    const retired: Promise<void> = this.#watch
      .drained()
      .then(() => old.close())
      .catch(() => {})
      .finally(() => this.#retiring.delete(retired));
    this.#retiring.add(retired);
  }

  /** Closes the client now, and any old one still being retired. */
  async close(): Promise<void> {
    this.#stopWatching();
    await Promise.all([this.#current.close(), ...this.#retiring]);
  }
}

const keepers = new PromiseCache<true, ClientKeeper>();

async function keeper(config: DatabaseConfig): Promise<ClientKeeper> {
  return keepers.get(true, async () => {
    const uri = await resolveMongoUri(config);
    databaseWatch.configure({ silenceMs: config.serverSelectionTimeoutMS });
    return new ClientKeeper(() => createMongoClient(uri, config), databaseWatch);
  });
}

/**
 * The container's client (a stable handle; see {@link ClientKeeper}). The driver connects lazily
 * on the first operation, so creating it costs no round trip; a failed secret fetch is retried on
 * the next call.
 */
export async function getMongoClient(config: DatabaseConfig): Promise<MongoClient> {
  return (await keeper(config)).handle;
}

/** Replaces the container's client now, if there is one (the old one is closed once idle). */
export async function replaceMongoClient(reason: string): Promise<void> {
  const current = keepers.peek(true);
  if (current) (await current).replace(reason);
}

/** Closes the container's client (local API shutdown, tests). */
export async function closeMongoClient(): Promise<void> {
  const current = keepers.peek(true);
  keepers.clear();
  await (await current?.catch(() => undefined))?.close();
}
