import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewaySimpleAuthorizerWithContextResult, Context } from 'aws-lambda';
import { exportJWK, generateKeyPair } from 'jose';
import { MongoClient, ObjectId } from 'mongodb';
import { DEFAULT_PLANS } from '#core/limits/plans.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { type Route, routes } from '../../lib/routes.ts';
import type { TestCaller } from '../../test/support/callers.ts';
import { authorizerEvent } from '../../test/support/events.ts';
import { type EmbeddedBackend, type EmbeddedMongo, startEmbeddedMongo } from '../embedded-db/embedded-db.ts';
import { handlerLoader, lambdaContext } from '../local-api/gateway.ts';
import { BENCH_PLAN } from './plan.ts';
import { RawDb } from './raw.ts';

/**
 * The bench's world: one database server (MONGODB_URI or an embedded FerretDB), databases of its
 * own that it drops at the end, a fresh signing key, and the real handlers loaded with that
 * configuration, as one warm Lambda container would have them.
 */

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;
export type AuthorizerDecision = APIGatewaySimpleAuthorizerWithContextResult<{ adminId: string; orgId: string }>;

export interface ServerInfo {
  readonly kind: 'ferretdb' | 'mongodb';
  /** What the output says the figures ran on. */
  readonly label: string;
  readonly embedded: boolean;
  /** The embedded FerretDB's storage (see bin/embedded-db); absent for a server at MONGODB_URI. */
  readonly backend?: EmbeddedBackend;
  /** The MongoDB version the server reports (FerretDB reports the one it emulates). */
  readonly reportedVersion: string;
}

/** A caller as the authorizer hands it to a JWT route. */
export interface Caller {
  readonly adminId: string;
  readonly orgId: string;
}

export interface BenchEnv {
  readonly server: ServerInfo;
  readonly uri: string;
  readonly masterDb: string;
  readonly tenantDb: string;
  readonly bcryptCost: number;
  /** The bench's own client: seeding and the baselines. */
  readonly client: MongoClient;
  readonly raw: RawDb;
  /** A route of lib/routes.ts by `METHOD /path`. */
  route(key: string): Route;
  /** The real handler of a function folder, imported once. */
  load(functionName: string): Promise<LambdaHandler>;
  /** A Lambda context like the one the local API (and AWS) passes. */
  context(functionName: string): Context;
  /** An access token for an admin, signed as the login function signs it. */
  token(caller: Caller): Promise<string>;
  /** The context the authorizer hands to JWT routes for a caller, from a real token and authorizer call. */
  authorize(caller: Caller): Promise<TestCaller>;
  /** The environment a child process (the local API) needs to serve the same databases. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function embeddedVersion(): Promise<string> {
  const goMod = await readFile(join(root, 'bin', 'embedded-db', 'go.mod'), 'utf8');
  return /github\.com\/FerretDB\/FerretDB (v[\d.]+)/.exec(goMod)?.[1]?.slice(1) ?? 'unknown version';
}

async function describeServer(client: MongoClient, embedded: EmbeddedMongo | undefined): Promise<ServerInfo> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  const reportedVersion = String(info.version ?? 'unknown');
  if ('ferretdbVersion' in info) {
    const reported = String(info.ferretdbVersion).replace(/^v/, '');
    const version = embedded ? await embeddedVersion() : reported;
    const backend = embedded?.backend === 'postgresql' ? 'PostgreSQL' : 'SQLite';
    const where = embedded ? `embedded, ${backend} backend` : 'MONGODB_URI';
    const label = version === 'unknown' ? `FerretDB (${where})` : `FerretDB ${version} (${where})`;
    return {
      kind: 'ferretdb',
      label,
      embedded: embedded !== undefined,
      ...(embedded ? { backend: embedded.backend } : {}),
      reportedVersion,
    };
  }
  return { kind: 'mongodb', label: `MongoDB ${reportedVersion} (MONGODB_URI)`, embedded: false, reportedVersion };
}

export interface EnvOptions {
  readonly bcryptCost: number;
  /**
   * Makes the bench's client and the handlers' client report their commands (`monitorCommands`), for
   * the database's share of a call (see DbTimer). Not passed to child processes (the local API).
   */
  readonly monitorCommands?: boolean;
}

/**
 * Starts (or connects to) the server, sets the handlers' configuration in `process.env` and returns
 * the bench's handles. Must run before any handler module is imported: handlers read config at load.
 */
export async function createBenchEnv(options: EnvOptions): Promise<BenchEnv> {
  let embedded: EmbeddedMongo | undefined;
  if (!process.env.MONGODB_URI) {
    embedded = await startEmbeddedMongo();
    process.env.MONGODB_URI = embedded.uri;
  }
  const uri = process.env.MONGODB_URI ?? '';
  const inProcessUri = options.monitorCommands ? `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true` : uri;
  const run = randomBytes(3).toString('hex');
  const masterDb = `bench_${run}_master`;
  const tenantDb = `bench_${run}_tenants`;

  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = `bench-${run}`;
  const handlerEnv: Record<string, string> = {
    MONGODB_URI: uri,
    // Every records read looks its organization up, as a container's first read of it does.
    PLACEMENT_CACHE_SECONDS: '0',
    MASTER_DB_NAME: masterDb,
    TENANT_DB_NAME: tenantDb,
    BCRYPT_COST: String(options.bcryptCost),
    JWT_PRIVATE_KEY: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' }),
    JWT_PUBLIC_KEYS: JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] }),
    // The per-request info line goes to stdout in Lambda; here it would bury the table.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Lockout would turn repeated wrong-password logins into 429s without bcrypt; failures are still
    // recorded, so the wrong-password and unknown-email paths do the same database work.
    LOGIN_MAX_FAILURES_PER_EMAIL: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '100000',
    // Every organization on a plan no bench load reaches: the rate limit's database work is measured
    // on every request, and no request is refused (the noisy-neighbour part sets its own plans).
    PLANS: JSON.stringify({ ...DEFAULT_PLANS, bench: BENCH_PLAN }),
    DEFAULT_PLAN: 'bench',
    // The same for the limit on reset emails; and those emails go to a folder of the run's own.
    ACCOUNT_MAIL_MAX_PER_EMAIL: '1000',
    ACCOUNT_MAIL_MAX_PER_IP: '100000',
    MAILER: 'mailbox',
    MAILBOX_DIR: join(tmpdir(), `orgs-bench-mailbox-${process.pid}`),
  };
  Object.assign(process.env, handlerEnv, { MONGODB_URI: inProcessUri });

  const client = new MongoClient(inProcessUri, { serverSelectionTimeoutMS: 5_000 });
  let server: ServerInfo;
  try {
    server = await describeServer(client, embedded);
  } catch (error) {
    await client.close().catch(() => {});
    await embedded?.stop();
    throw error;
  }

  // The deploy-time database setup, as the stack's trigger runs it before the routes serve.
  const { createMasterIndexes } = await import('#core/mongo/indexes.ts');
  await createMasterIndexes(client.db(masterDb));

  const load = handlerLoader(root);

  // The signer the login function uses, over the same key: tokens identical in form to a login's.
  const { createTokenSigner } = await import('#core/auth/tokens.ts');
  const { signerConfig } = await import('#core/config.ts');
  const signing = signerConfig();
  const signer = createTokenSigner({ ...signing, privateKey: handlerEnv.JWT_PRIVATE_KEY ?? '' });
  // A token of a fresh session at the admin's current token version, as a login would issue it.
  const token = async (caller: Caller) => {
    const admin = await client
      .db(masterDb)
      .collection(C.admins)
      .findOne({ _id: new ObjectId(caller.adminId) });
    return (
      await signer.sign({
        userId: caller.adminId,
        orgId: caller.orgId,
        sessionId: `bench-${caller.adminId}`,
        tokenVersion: admin?.tokenVersion ?? 0,
      })
    ).token;
  };

  const authorized = new Map<string, Promise<TestCaller>>();
  const authorize = (caller: Caller) => {
    let pending = authorized.get(caller.adminId);
    if (!pending) {
      pending = (async () => {
        const authorizer = await load('authorizer');
        const event = authorizerEvent(`Bearer ${await token(caller)}`);
        const decision = (await authorizer(event, lambdaContext('authorizer', 'bench'))) as AuthorizerDecision;
        if (!decision.isAuthorized || !decision.context) throw new Error('the authorizer refused a bench token');
        return decision.context as unknown as TestCaller;
      })();
      authorized.set(caller.adminId, pending);
    }
    return pending;
  };

  let requests = 0;
  return {
    server,
    uri,
    masterDb,
    tenantDb,
    bcryptCost: options.bcryptCost,
    client,
    raw: new RawDb(client, masterDb),
    route(key) {
      const found = routes.find((r) => `${r.method} ${r.path}` === key);
      if (!found) throw new Error(`No route "${key}" in lib/routes.ts`);
      return found;
    },
    load,
    context: (functionName) => lambdaContext(functionName, `bench-${++requests}`),
    token,
    authorize,
    childEnv: (extra = {}) => ({ ...process.env, ...handlerEnv, ...extra }),
    async close() {
      if (!embedded) {
        // A shared server keeps nothing of the run; an embedded one goes away with its data folder.
        await client
          .db(masterDb)
          .dropDatabase()
          .catch(() => {});
        await client
          .db(tenantDb)
          .dropDatabase()
          .catch(() => {});
      }
      await client.close().catch(() => {});
      const { closeMongoClient } = await import('#core/mongo/client.ts');
      await closeMongoClient().catch(() => {});
      await embedded?.stop();
    },
  };
}
