import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { organizations } from '#core/app.ts';
import { MongoRecordStore } from '#core/mongo/record-store.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { observe } from '#core/observe.ts';
import { RecordsService } from '#core/records/service.ts';
import type { RecordStore } from '#core/records/stores.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { handler as authorize } from '../../functions/authorizer/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as getRecord } from '../../functions/records-get/handler.ts';
import { testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { authorizerEvent, type EventOptions, httpEvent } from '../support/events.ts';
import { gate } from '../support/gate.ts';

/**
 * What an operator gets from the service's logs and metrics, through the real handlers and database:
 * every line after authorization names the organization, the user and the request; every invocation
 * writes one Embedded Metric Format record that CloudWatch can read.
 */

vi.hoisted(() => {
  process.env.LOG_LEVEL = 'debug';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_SERVICE_NAME = 'orgs-service-test';
  process.env.LOGIN_MAX_FAILURES_PER_EMAIL = '2';
});

useTestDatabase();

/** Everything written through the console, one entry per call (Powertools writes one per line). */
const written: string[] = [];
beforeAll(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(' '));
    });
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});
beforeEach(() => {
  written.length = 0;
});

type Json = Record<string, any>;
const records = (): Json[] =>
  written.flatMap((text) => {
    try {
      return [JSON.parse(text) as Json];
    } catch {
      return [];
    }
  });
const logLines = () => records().filter((r) => typeof r.level === 'string' && typeof r.message === 'string');
const emf = () => records().filter((r) => r._aws !== undefined);

const context = (name: string) => ({ functionName: name, awsRequestId: `lambda-${name}` }) as unknown as Context;

/** Calls a route's handler with API Gateway's request id `requestId`. */
async function call(handler: unknown, options: EventOptions & { requestId: string }) {
  const event = httpEvent(options);
  (event.requestContext as { requestId: string }).requestId = options.requestId;
  const result = (await (handler as (e: unknown, c: Context) => Promise<Json>)(event, context('route'))) as Json;
  return { status: result.statusCode as number, body: result.body ? JSON.parse(result.body) : undefined };
}

/** The authorizer's decision for `token` on the request `requestId`. */
async function authorizeOn(token: string, requestId: string) {
  const event = authorizerEvent(`Bearer ${token}`);
  (event.requestContext as { requestId: string }).requestId = requestId;
  return authorize(event, context('authorizer'));
}

let seq = 0;
async function signedUp() {
  seq += 1;
  const name = `Observed ${seq}`;
  const email = `admin${seq}@observed.example`;
  const password = 'observed password';
  const created = await call(createOrg, {
    requestId: `create-${seq}`,
    method: 'POST',
    path: '/org/create',
    body: { organization_name: name, email, password },
  });
  expect(created.status).toBe(201);
  const tokens = await call(login, {
    requestId: `login-${seq}`,
    method: 'POST',
    path: '/admin/login',
    body: { email, password },
  });
  expect(tokens.status).toBe(200);
  return { name, email, password, ...(tokens.body as { access_token: string; refresh_token: string }) };
}

/** One protected request as API Gateway runs it: the authorizer, then the route with its context. */
async function protectedCall(handler: unknown, token: string, requestId: string, options: EventOptions) {
  const decision = await authorizeOn(token, requestId);
  expect(decision.isAuthorized).toBe(true);
  const caller = decision.context as unknown as { userId: string; orgId: string; role: string; permissions: string };
  return { caller, answer: await call(handler, { ...options, requestId, caller }) };
}

describe('Logs', () => {
  it('carries the organization, the user and the request id on every line after authorization', async () => {
    const admin = await signedUp();
    written.length = 0;

    const { caller, answer } = await protectedCall(createRecord, admin.access_token, 'req-observed-1', {
      method: 'POST',
      path: '/org/records',
      body: { title: 'observed' },
    });
    expect(answer.status).toBe(201);
    const lines = logLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ correlation_id: 'req-observed-1', orgId: caller.orgId, userId: caller.userId });
      expect(line.service).toBe('orgs-service-test');
    }
    expect(lines.find((l) => l.message === 'request')).toMatchObject({
      function: 'records-create',
      status: 201,
      cold_start: expect.any(Boolean),
      function_request_id: 'lambda-route',
    });
  });

  it('keeps requests served side by side apart', async () => {
    const [a, b] = [await signedUp(), await signedUp()];
    written.length = 0;

    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const who = i % 2 === 0 ? a : b;
        return protectedCall(getRecord, who.access_token, `req-side-${i}`, {
          method: 'GET',
          path: '/org/records/000000000000000000000000',
          params: { id: '000000000000000000000000' },
        });
      }),
    );
    const orgOf = new Map(answers.map(({ caller }, i) => [`req-side-${i}`, caller.orgId]));
    const lines = logLines().filter((l) => String(l.correlation_id).startsWith('req-side-'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line.orgId).toBe(orgOf.get(line.correlation_id));
  });

  it('gives the authorizer request id to a rejected token, and no organization', async () => {
    written.length = 0;
    const decision = await authorizeOn('a.b.c', 'req-rejected');
    expect(decision.isAuthorized).toBe(false);
    const [line] = logLines();
    expect(line).toMatchObject({ message: 'token rejected', correlation_id: 'req-rejected', function: 'authorizer' });
    expect(line?.orgId).toBeUndefined();
  });
});

describe('Metrics (Embedded Metric Format)', () => {
  /**
   * The one EMF record of the route's invocation on `requestId` (or the authorizer's), checked
   * against the shape the EMF specification requires.
   */
  function recordOf(requestId: string, of: 'route' | 'authorizer' = 'route'): Json {
    const found = emf().filter((r) => r.correlation_id === requestId && (r.route === 'authorizer') === (of === 'authorizer'));
    expect(found, `one metrics record for ${requestId}`).toHaveLength(1);
    const record = found[0] as Json;
    const [directive] = record._aws.CloudWatchMetrics as Json[];
    expect(record._aws.Timestamp).toEqual(expect.any(Number));
    expect(directive?.Namespace).toBe('OrgsService');
    expect(directive?.Dimensions).toEqual([['service', 'route']]);
    expect(record.service).toBe('orgs-service-test');
    // Every declared metric has a value in the record, as CloudWatch requires.
    for (const metric of (directive?.Metrics ?? []) as { Name: string; Unit: string }[]) {
      expect(['Count', 'Milliseconds']).toContain(metric.Unit);
      const value = record[metric.Name];
      expect(typeof value === 'number' || Array.isArray(value), metric.Name).toBe(true);
    }
    return record;
  }

  const sum = (value: number | number[] | undefined) => [value ?? []].flat().reduce((a, b) => a + b, 0);

  it('records latency, status, database time and organizations created per request', async () => {
    seq += 1;
    await call(createOrg, {
      requestId: 'req-metrics-create',
      method: 'POST',
      path: '/org/create',
      body: { organization_name: `Metered ${seq}`, email: `metered${seq}@observed.example`, password: 'metered password' },
    });
    const record = recordOf('req-metrics-create');
    expect(record.route).toBe('org-create');
    expect(record.Latency).toBeGreaterThanOrEqual(0);
    expect(record).toMatchObject({ Status4xx: 0, Status5xx: 0, OrganizationsCreated: 1 });
    expect(record.DatabaseCalls).toBeGreaterThan(2);
    expect(record.DatabaseTime).toBeGreaterThan(0);
  });

  it('puts the organization in metadata, and counts 4xx answers', async () => {
    const admin = await signedUp();
    written.length = 0;
    const { caller } = await protectedCall(getRecord, admin.access_token, 'req-metrics-404', {
      method: 'GET',
      path: '/org/records/000000000000000000000000',
      params: { id: '000000000000000000000000' },
    });
    const record = recordOf('req-metrics-404');
    expect(record).toMatchObject({
      route: 'records-get',
      orgId: caller.orgId,
      userId: caller.userId,
      Status4xx: 1,
      Status5xx: 0,
    });
    expect(record._aws.CloudWatchMetrics[0].Dimensions.flat()).not.toContain('orgId');
    expect(record.PlacementCacheHit).toBeDefined();

    const authorizer = recordOf('req-metrics-404', 'authorizer');
    expect(authorizer).toMatchObject({ orgId: caller.orgId, AuthorizerDenied: 0, Status4xx: 0 });
    expect(authorizer.RevocationCacheHit).toBeDefined();
    expect(authorizer.KeysCacheHit).toBeDefined();
  });

  it('reads a placement from the cache on the second read', async () => {
    const admin = await signedUp();
    const read = (requestId: string) =>
      protectedCall(getRecord, admin.access_token, requestId, {
        method: 'GET',
        path: '/org/records/000000000000000000000000',
        params: { id: '000000000000000000000000' },
      });
    await read('req-cache-1');
    await read('req-cache-2');
    expect(sum(recordOf('req-cache-1').PlacementCacheHit)).toBe(0);
    expect(sum(recordOf('req-cache-2').PlacementCacheHit)).toBe(1);
  });

  it('counts failed logins, lockouts and refresh-token reuse', async () => {
    const admin = await signedUp();
    const wrong = { method: 'POST', path: '/admin/login', body: { email: admin.email, password: 'not it' } } as const;
    expect((await call(login, { ...wrong, requestId: 'req-fail-1' })).status).toBe(401);
    expect((await call(login, { ...wrong, requestId: 'req-fail-2' })).status).toBe(401);
    expect((await call(login, { ...wrong, requestId: 'req-locked' })).status).toBe(429);
    expect(recordOf('req-fail-1')).toMatchObject({ LoginsFailed: 1, Status4xx: 1 });
    expect(recordOf('req-locked')).toMatchObject({ LoginLockouts: 1, Status4xx: 1 });
    expect(recordOf('req-locked').LoginsFailed).toBeUndefined();

    const spend = (requestId: string) =>
      call(refresh, { requestId, method: 'POST', path: '/admin/refresh', body: { refresh_token: admin.refresh_token } });
    expect((await spend('req-refresh-1')).status).toBe(200);
    expect((await spend('req-refresh-2')).status).toBe(401);
    expect(recordOf('req-refresh-1').RefreshTokenReuse).toBeUndefined();
    expect(recordOf('req-refresh-2')).toMatchObject({ RefreshTokenReuse: 1 });
  });

  it('counts organizations archived, and moves with their duration', async () => {
    const admin = await signedUp();
    const moved = await observe({ route: 'org-move', correlationId: 'req-move' }, async () =>
      (await organizations()()).move({ name: admin.name }, 'database'),
    );
    expect(moved.placement.mode).toBe('database');
    const move = recordOf('req-move');
    expect(move).toMatchObject({ MovesCompleted: 1 });
    expect(move.MoveDuration).toBeGreaterThanOrEqual(0);

    const login2 = await call(login, {
      requestId: 'req-login-again',
      method: 'POST',
      path: '/admin/login',
      body: { email: admin.email, password: admin.password },
    });
    const { answer } = await protectedCall(deleteOrg, login2.body.access_token, 'req-delete', {
      method: 'DELETE',
      path: '/org/delete',
      query: { organization_name: admin.name },
    });
    expect(answer.status).toBe(202);
    expect(recordOf('req-delete')).toMatchObject({ route: 'org-delete', OrganizationsArchived: 1 });
  });

  it('counts a records write the fence sent to the new place', async () => {
    const admin = await signedUp();
    const { caller } = await protectedCall(getRecord, admin.access_token, 'req-fence-caller', {
      method: 'GET',
      path: '/org/records/000000000000000000000000',
      params: { id: '000000000000000000000000' },
    });
    // A records service whose next insert waits, holding the placement it read, until released.
    const held = gate(false);
    const base = new MongoRecordStore(testClient());
    const store = new Proxy(base, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        if (key !== 'insert') return value.bind(target);
        return async (...args: unknown[]) => {
          await held.pass();
          return value.apply(target, args);
        };
      },
    }) as RecordStore;
    const stores = mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());
    const releasePlace = async () => {};
    const records = new RecordsService({ orgs: stores.orgs, records: store, releasePlace, cacheMs: 60_000 });

    held.arm();
    const write = observe({ route: 'records-create', correlationId: 'req-fenced' }, () =>
      records.create({ userId: caller.userId, orgId: caller.orgId }, { late: true }),
    );
    await held.reached;
    await (await organizations()()).move({ id: caller.orgId }, 'database');
    held.release();
    await write;

    expect(recordOf('req-fenced')).toMatchObject({ FencedWrites: 1 });
    expect(recordOf('req-fence-caller').FencedWrites).toBeUndefined();
  });

  it('writes nothing when a measurement is taken outside an invocation', async () => {
    written.length = 0;
    const { metrics } = await import('#core/metrics.ts');
    metrics.count('organizationCreated');
    expect(emf()).toEqual([]);
  });
});
