import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOOKUP_BUDGET_MS } from '#core/auth/guard.ts';
import { createTokenSigner } from '#core/auth/tokens.ts';
import { signerConfig } from '#core/config.ts';
import { type Answer, authorizerEvent, type EventOptions, invoke } from '../support/events.ts';
import { BreakableDatabase, freePort } from '../support/outage-db.ts';

/**
 * Database outages end to end, through every route's handler and the authorizer, over a database
 * this file breaks: paused (SIGSTOP), killed and started again, and a port where nothing listens.
 * Every answer is a 503 problem with Retry-After within the bound, and the same process serves
 * again once the database is back.
 */

/** The bound under test: short here, so the file runs fast; OUTAGE_BOUND_MS=5000 runs it at the default. */
const BOUND_MS = Number(process.env.OUTAGE_BOUND_MS ?? 1_500);
/** Shared machines are noisy: the asserted ceiling is the bound plus two seconds. */
const CEILING_MS = BOUND_MS + 2_000;
/** Back within three bounds of the database's return (a held outage, a heartbeat, a retry), plus noise. */
const RECOVERY_MS = 3 * BOUND_MS + 5_000;
/** A broken client is replaced once calls have failed for two bounds with none succeeding. */
const REPLACEMENT_MS = 4 * BOUND_MS + 5_000;
const PASSWORD = 'outage password';

process.env.MONGODB_SERVER_SELECTION_TIMEOUT_MS = String(BOUND_MS);
process.env.REVOCATION_CACHE_SECONDS = '0'; // every check looks the token up
process.env.LOGIN_MAX_FAILURES_PER_IP = '100000';

const names = [
  'org-create',
  'org-get',
  'admin-login',
  'admin-refresh',
  'org-update',
  'org-delete',
  'admin-logout',
  'admin-logout-all',
  'records-create',
  'records-list',
  'records-get',
  'records-replace',
  'records-patch',
  'records-delete',
  'password-forgot',
  'password-reset',
  'me-password',
  'email-verify',
  'login-two-factor',
  'two-factor-enroll',
  'authorizer',
] as const;
type Name = (typeof names)[number];
type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
type AuthorizerResult = { isAuthorized: boolean; context?: Record<string, unknown> };
type Caller = { userId: string; orgId: string; sessionId: string; tokenId: string; expiresAt: number };

/** Every handler in a fresh module graph (a new container) whose database is `uri`. */
async function container(uri: string) {
  process.env.MONGODB_URI = uri;
  vi.resetModules();
  const handlers = {} as Record<Name, Handler>;
  for (const name of names) handlers[name] = (await import(`../../functions/${name}/handler.ts`)).handler;
  const client = await import('#core/mongo/client.ts');
  const { databaseConfig } = await import('#core/config.ts');
  const call = (name: Exclude<Name, 'authorizer'>, options: EventOptions) => invoke(handlers[name], options);
  const authorize = async (token: string) =>
    (await handlers.authorizer(authorizerEvent(`Bearer ${token}`) as APIGatewayRequestAuthorizerEventV2)) as AuthorizerResult;
  return { call, authorize, client: () => client.getMongoClient(databaseConfig()), close: client.closeMongoClient };
}
type Container = Awaited<ReturnType<typeof container>>;

/** The deploy-time database setup, on the container's database. */
async function setUpDatabase(app: Container): Promise<void> {
  const { createMasterIndexes } = await import('#core/mongo/indexes.ts');
  await createMasterIndexes((await app.client()).db(process.env.MASTER_DB_NAME));
}

/** What the outage checks send: one request per route; writes only touch the sacrificial organization. */
interface Fixture {
  acme: { token: string; caller: Caller; recordId: string };
  beta: { refreshToken: string; caller: Caller; recordId: string };
  revokedToken: string;
}

/** A well-formed secret of a link or a challenge (none that exists). */
const SECRET = 'x'.repeat(43);

let created = 0;
function requests(f: Fixture): [Exclude<Name, 'authorizer'>, EventOptions][] {
  created += 1;
  const caller = f.beta.caller;
  const record = { params: { id: f.beta.recordId }, caller };
  return [
    [
      'org-create',
      {
        method: 'POST',
        path: '/org/create',
        body: { organization_name: `Outage ${created}`, email: `o${created}@outage.example`, password: PASSWORD },
      },
    ],
    ['org-get', { method: 'GET', path: '/org/get', query: { organization_name: 'Acme Outage' } }],
    ['admin-login', { method: 'POST', path: '/admin/login', body: { email: 'admin@acme-outage.example', password: PASSWORD } }],
    ['admin-refresh', { method: 'POST', path: '/admin/refresh', body: { refresh_token: f.beta.refreshToken } }],
    [
      'org-update',
      {
        method: 'PUT',
        path: '/org/update',
        caller,
        body: { organization_name: 'Beta Outage', new_organization_name: 'Beta Two' },
      },
    ],
    ['org-delete', { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: 'Beta Outage' } }],
    ['admin-logout', { method: 'POST', path: '/admin/logout', caller }],
    ['admin-logout-all', { method: 'POST', path: '/admin/logout-all', caller }],
    ['records-create', { method: 'POST', path: '/org/records', caller, body: { title: 'during the outage' } }],
    ['records-list', { method: 'GET', path: '/org/records', caller }],
    ['records-get', { method: 'GET', path: `/org/records/${f.beta.recordId}`, ...record }],
    ['records-replace', { method: 'PUT', path: `/org/records/${f.beta.recordId}`, ...record, body: { title: 'replaced' } }],
    ['records-patch', { method: 'PATCH', path: `/org/records/${f.beta.recordId}`, ...record, body: { title: 'patched' } }],
    ['records-delete', { method: 'DELETE', path: `/org/records/${f.beta.recordId}`, ...record }],
    ['password-forgot', { method: 'POST', path: '/password/forgot', body: { email: 'admin@acme-outage.example' } }],
    ['password-reset', { method: 'POST', path: '/password/reset', body: { token: SECRET, password: 'a new password' } }],
    [
      'me-password',
      { method: 'PUT', path: '/me/password', caller, body: { current_password: PASSWORD, new_password: 'a new password' } },
    ],
    ['email-verify', { method: 'POST', path: '/email/verify', body: { token: SECRET } }],
    ['login-two-factor', { method: 'POST', path: '/login/two-factor', body: { challenge: SECRET, code: '123456' } }],
    ['two-factor-enroll', { method: 'POST', path: '/me/two-factor', caller, body: { password: PASSWORD } }],
  ];
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Every route at once: each answers 503 `service_unavailable` with Retry-After, within the ceiling. */
async function expectEveryRouteUnavailable(app: Container, f: Fixture): Promise<void> {
  const answers = await Promise.all(
    requests(f).map(async ([name, options]) => ({ name, ...(await timed(() => app.call(name, options))) })),
  );
  for (const { name, value, ms } of answers) {
    const answer: Answer = value;
    expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(503);
    expect(answer.headers['content-type'], name).toBe('application/problem+json');
    expect(answer.headers['retry-after'], name).toBe('5');
    expect(answer.body.code, name).toBe('service_unavailable');
    expect(JSON.stringify(answer.body), name).not.toMatch(/Mongo|EPIPE|ECONN|socket|127\.0\.0\.1/i);
    expect(ms, `${name} took ${Math.round(ms)} ms`).toBeLessThan(CEILING_MS);
  }
}

/** The authorizer decides within its look-up budget: known-good and unknown tokens pass, known-revoked ones do not. */
async function expectAuthorizerDecidesWithoutDatabase(app: Container, f: Fixture): Promise<void> {
  const good = await timed(() => app.authorize(f.acme.token));
  expect(good.value.isAuthorized).toBe(true);
  expect(good.value.context?.orgId).toBe(f.acme.caller.orgId);
  expect(good.ms).toBeLessThan(LOOKUP_BUDGET_MS + 1_500);
  const revoked = await timed(() => app.authorize(f.revokedToken));
  expect(revoked.value.isAuthorized).toBe(false);
  expect(revoked.ms).toBeLessThan(LOOKUP_BUDGET_MS + 1_500);
}

/** Polls until the organization's routes work again; resolves with how long that took. */
async function recovery(app: Container, f: Fixture, withinMs: number): Promise<number> {
  const started = performance.now();
  const caller = f.acme.caller;
  for (;;) {
    const answers = await Promise.all([
      app.call('org-get', { method: 'GET', path: '/org/get', query: { organization_name: 'Acme Outage' } }),
      app.call('records-get', {
        method: 'GET',
        path: `/org/records/${f.acme.recordId}`,
        params: { id: f.acme.recordId },
        caller,
      }),
      app.call('records-create', { method: 'POST', path: '/org/records', caller, body: { title: 'after the outage' } }),
    ]);
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).not.toBe(500);
    if (answers.every((answer) => answer.status < 300)) break;
    if (performance.now() - started > withinMs) throw new Error(`not recovered after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const elapsed = performance.now() - started;
  const authorized = await app.authorize(f.acme.token);
  expect(authorized.isAuthorized).toBe(true);
  return elapsed;
}

async function fixture(app: Container): Promise<Fixture> {
  const body = async (answer: Promise<Answer>, status: number) => {
    const { status: got, body } = await answer;
    expect(got, JSON.stringify(body)).toBe(status);
    return body;
  };
  const signUp = async (name: string, email: string) => {
    await body(
      app.call('org-create', {
        method: 'POST',
        path: '/org/create',
        body: { organization_name: name, email, password: PASSWORD },
      }),
      201,
    );
    const tokens = await body(
      app.call('admin-login', { method: 'POST', path: '/admin/login', body: { email, password: PASSWORD } }),
      200,
    );
    const authorized = await app.authorize(tokens.access_token);
    const caller = authorized.context as Caller;
    const record = await body(
      app.call('records-create', { method: 'POST', path: '/org/records', caller, body: { title: name } }),
      201,
    );
    return {
      token: tokens.access_token as string,
      refreshToken: tokens.refresh_token as string,
      caller,
      recordId: record.id as string,
    };
  };
  const acme = await signUp('Acme Outage', 'admin@acme-outage.example');
  const beta = await signUp('Beta Outage', 'admin@beta-outage.example');
  // A token this container sees as valid, then as revoked after its session's logout.
  const second = await body(
    app.call('admin-login', {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'admin@acme-outage.example', password: PASSWORD },
    }),
    200,
  );
  const secondCaller = (await app.authorize(second.access_token)).context as Caller;
  await body(app.call('admin-logout', { method: 'POST', path: '/admin/logout', caller: secondCaller }), 204);
  expect((await app.authorize(second.access_token)).isAuthorized).toBe(false);
  return { acme, beta, revokedToken: second.access_token };
}

describe('A database that refuses connections', () => {
  it('answers 503 on every route within the bound; the authorizer lets a valid token through to it', async () => {
    const app = await container(`mongodb://127.0.0.1:${await freePort()}/`);
    const config = signerConfig();
    const signer = createTokenSigner({ ...config, privateKey: config.privateKey.value ?? '' });
    const ids = { userId: '0123456789abcdef01234568', orgId: '0123456789abcdef01234569', sessionId: 'outage-session' };
    const { token } = await signer.sign({ ...ids, tokenVersion: 0 });
    const caller = { ...ids, tokenId: 'outage-token', expiresAt: 0 };
    const recordId = '0123456789abcdef01234567';
    const f: Fixture = {
      acme: { token, caller, recordId },
      beta: { refreshToken: 'r'.repeat(43), caller, recordId },
      revokedToken: token,
    };

    await expectEveryRouteUnavailable(app, f);
    const decided = await timed(() => app.authorize(token));
    expect(decided.value.isAuthorized).toBe(true); // nothing known about it here: the route answers 503
    expect(decided.ms).toBeLessThan(LOOKUP_BUDGET_MS + 1_500);
    await app.close();
  });
});

describe('A database that pauses, dies and comes back', () => {
  let db: BreakableDatabase;
  let app: Container;
  let f: Fixture;

  beforeAll(async () => {
    db = await BreakableDatabase.start();
    app = await container(db.uri);
    await setUpDatabase(app); // as the deploy does before the routes serve
    f = await fixture(app);
  });

  afterAll(async () => {
    await app?.close();
    await db?.stop();
  });

  it('paused: every route answers 503 within the bound, and the process serves again once it resumes', async () => {
    db.pause();
    try {
      await expectAuthorizerDecidesWithoutDatabase(app, f); // first: it waits out its own budget
      await expectEveryRouteUnavailable(app, f);
    } finally {
      db.resume();
    }
    expect(await recovery(app, f, RECOVERY_MS)).toBeLessThan(RECOVERY_MS);
  });

  it('killed: every route answers 503 within the bound, and the process serves again once it restarts', async () => {
    await db.kill();
    await expectEveryRouteUnavailable(app, f);
    await expectAuthorizerDecidesWithoutDatabase(app, f);
    await db.restart();
    expect(await recovery(app, f, RECOVERY_MS)).toBeLessThan(RECOVERY_MS);
  });

  it('replaces a client that stays broken after the database came back', async () => {
    // The client sees its server go away, and then its next heartbeat starts and never finishes:
    // it holds the server as unknown for good, and every call fails server selection. The driver
    // keeps its topology internal; the test reaches in only to break it that way.
    type Monitor = { monitorId?: { stop(): void; isExecutionInProgress: boolean } };
    type Server = { description: { type: string }; monitor?: Monitor };
    type Internals = { topology?: { s: { servers: Map<string, Server> } } };
    const client = (await app.client()) as unknown as Internals;
    const broken = client.topology;
    const servers = [...(broken?.s.servers.values() ?? [])];
    await db.kill();
    await vi.waitFor(() => expect(servers.map((server) => server.description.type)).toEqual(['Unknown']), { timeout: 10_000 });
    for (const server of servers) {
      server.monitor?.monitorId?.stop();
      if (server.monitor?.monitorId) server.monitor.monitorId.isExecutionInProgress = true;
    }
    await db.restart();
    const stuck = await app.call('org-get', { method: 'GET', path: '/org/get', query: { organization_name: 'Acme Outage' } });
    expect(stuck.status).toBe(503);

    const recovered = await recovery(app, f, REPLACEMENT_MS);
    expect(client.topology).not.toBe(broken); // a new client serves through the same handle
    expect(recovered).toBeLessThan(REPLACEMENT_MS);
  }, 60_000);
});
