import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { EventBridgeBus } from '#core/events/bus.ts';
import { eventLogOn } from '#core/events/index.ts';
import type { EventLog } from '#core/events/log.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { mongoWebhookStore } from '#core/mongo/webhook-store.ts';
import type { Resolver } from '#core/webhooks/address-guard.ts';
import { Dispatcher, type DispatcherSettings } from '#core/webhooks/dispatcher.ts';
import { WebhooksService } from '#core/webhooks/service.ts';
import type { WebhookStore } from '#core/webhooks/stores.ts';
import { masterDb, testClient, testPlacements, useTestDatabase } from '../support/db.ts';

/**
 * The dispatcher against a local receiver (a real HTTP server on loopback, allowed by the setting
 * local runs use) on the real database; only EventBridge is mocked. Signatures are checked with the
 * `standardwebhooks` package, as a receiver would.
 */

useTestDatabase();

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The receiver: records each request and answers with the next planned status (200 once the plan runs out). */
const receiver = { received: [] as Received[], plan: [] as number[], server: undefined as Server | undefined, url: '' };

beforeAll(async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body });
      const status = receiver.plan.shift() ?? 200;
      if (status >= 300 && status < 400) res.setHeader('location', `${receiver.url}/elsewhere`);
      res.writeHead(status).end();
    });
  });
  receiver.server = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.server?.close(resolve));
});

const clock = { t: Date.parse('2026-04-01T00:00:00Z') };
const now = () => new Date(clock.t);
let orgSeq = 0;
let events: EventLog;
let store: WebhookStore;

beforeEach(async () => {
  receiver.received = [];
  receiver.plan = [];
  const stores = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
  events = eventLogOn(stores, { retentionMs: 86_400_000, now });
  store = mongoWebhookStore(masterDb());
  // Each test starts with nothing waiting.
  await masterDb()
    .collection(C.events)
    .updateMany({}, { $set: { dispatch: 'done' } });
  await masterDb().collection(C.webhookDeliveries).deleteMany({});
});

function dispatcherWith(settings: Partial<DispatcherSettings> = {}, bus?: EventBridgeBus) {
  const stores = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
  return new Dispatcher(
    { events: stores.events, webhooks: store, eventLog: events, ...(bus ? { bus } : {}) },
    { retentionMs: 86_400_000, allowLoopback: true, now, ...settings },
  );
}

function service(allowLoopback = true) {
  return new WebhooksService({ webhooks: store, events, allowLoopback, now });
}

/** A new organization id (the dispatcher needs no organization document) and a caller of it. */
function organization() {
  orgSeq += 1;
  const orgId = `abcdef0123456789abcd${String(orgSeq).padStart(4, '0')}`;
  return { orgId, userId: '0123456789abcdef01234567' };
}

const roleChanged = (orgId: string, role = 'admin') =>
  events.record({ orgId, type: 'member.role_changed', target: { type: 'user', id: 'fedcba9876543210fedcba98' }, data: { role } });

describe('Delivery to a webhook endpoint', () => {
  it('signs each delivery as Standard Webhooks says, verified by the standardwebhooks package', async () => {
    clock.t = Date.now(); // the package checks the timestamp against the real clock (5 minutes' tolerance)
    const caller = organization();
    const endpoint = await service().register(caller, { url: `${receiver.url}/hook`, eventTypes: ['member.role_changed'] });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const event = await roleChanged(caller.orgId);
    await events.record({ orgId: caller.orgId, type: 'plan.changed', target: { type: 'organization', id: caller.orgId } });

    const report = await dispatcherWith().run();

    expect(report).toMatchObject({ queued: 1, delivered: 1, failed: 0 });
    expect(receiver.received).toHaveLength(1); // plan.changed is not one of the endpoint's types
    const [delivery] = receiver.received;
    if (!delivery) throw new Error('nothing received');
    expect(delivery.headers['webhook-id']).toBe(event.id);
    const verified = new Webhook(endpoint.secret).verify(delivery.body, {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    }) as Record<string, unknown>;
    expect(verified).toMatchObject({
      id: event.id,
      type: 'member.role_changed',
      organization_id: caller.orgId,
      data: { role: 'admin' },
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(delivery.body, {
        'webhook-id': String(delivery.headers['webhook-id']),
        'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
        'webhook-signature': String(delivery.headers['webhook-signature']),
      }),
    ).toThrow();

    // A second run sends nothing more: the event was dispatched once.
    expect(await dispatcherWith().run()).toMatchObject({ queued: 0, delivered: 0 });
  });

  it('retries a failing endpoint with exponential backoff, records every attempt, and lists them newest first', async () => {
    const caller = organization();
    const endpoint = await service().register(caller, { url: `${receiver.url}/flaky`, eventTypes: [] });
    await roleChanged(caller.orgId);
    receiver.plan = [500, 503];
    const dispatcher = dispatcherWith();

    expect(await dispatcher.run()).toMatchObject({ delivered: 0, failed: 1 });
    expect(await dispatcher.run()).toMatchObject({ delivered: 0, failed: 0 }); // not due yet
    clock.t += dispatcher.delayAfter(1); // 30 s
    expect(await dispatcher.run()).toMatchObject({ failed: 1 });
    clock.t += dispatcher.delayAfter(2) - 1; // 2 min, less a millisecond: not yet
    expect(await dispatcher.run()).toMatchObject({ delivered: 0, failed: 0 });
    clock.t += 1;
    expect(await dispatcher.run()).toMatchObject({ delivered: 1 });

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect([1, 2, 3, 4].map((n) => dispatcher.delayAfter(n))).toEqual([30_000, 120_000, 480_000, 1_920_000]);
    const attempts = await service().attempts(caller, endpoint.id, 10);
    expect(attempts.items.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [3, 'delivered', 200],
      [2, 'failed', 503],
      [1, 'failed', 500],
    ]);
    const page = await service().attempts(caller, endpoint.id, 2);
    const rest = await service().attempts(caller, endpoint.id, 2, page.next);
    expect([...page.items, ...rest.items].map((a) => a.attempt)).toEqual([3, 2, 1]);
  });

  it('gives a delivery up after its last attempt, and disables an endpoint after a run of failures, with an event', async () => {
    const caller = organization();
    const endpoint = await service().register(caller, { url: `${receiver.url}/down`, eventTypes: ['member.role_changed'] });
    await roleChanged(caller.orgId, 'admin');
    await roleChanged(caller.orgId, 'member');
    receiver.plan = Array(10).fill(500);
    // One at a time: FerretDB's $inc is not atomic, so two failures at once may count as one there.
    const dispatcher = dispatcherWith({ maxAttempts: 2, disableAfter: 3, concurrency: 1 });

    expect(await dispatcher.run()).toMatchObject({ queued: 2, failed: 2 });
    clock.t += dispatcher.delayAfter(1);
    const last = await dispatcher.run();
    expect(last).toMatchObject({ abandoned: 2 });

    expect((await store.findEndpoint(caller.orgId, endpoint.id))?.state).toBe('disabled');
    const disabled = await events.page(caller.orgId, { types: ['webhook.endpoint_disabled'] }, 10);
    expect(disabled.items).toHaveLength(1);
    expect(disabled.items[0]).toMatchObject({ actor: { type: 'system' }, target: { type: 'webhook_endpoint', id: endpoint.id } });
    // Nothing more goes to a disabled endpoint.
    await roleChanged(caller.orgId, 'admin');
    clock.t += 3_600_000;
    expect(await dispatcher.run()).toMatchObject({ queued: 0, delivered: 0, failed: 0 });
    expect(receiver.received).toHaveLength(3); // the third failure in a row disabled it: the second delivery was not tried again
  });

  it('replays the events since a time as new deliveries', async () => {
    const caller = organization();
    const from = now();
    await roleChanged(caller.orgId, 'admin');
    await roleChanged(caller.orgId, 'member');
    await dispatcherWith().run(); // no endpoint yet: dispatched to nobody
    const endpoint = await service().register(caller, { url: `${receiver.url}/replay`, eventTypes: [] });

    expect(await service().replay(caller, endpoint.id, from)).toBe(2);
    expect(await dispatcherWith().run()).toMatchObject({ delivered: 2 });
    expect(receiver.received.map((r) => JSON.parse(r.body).data.role).sort()).toEqual(['admin', 'member']);
  });
});

describe('Refused destinations (SSRF)', () => {
  const resolver: Resolver = async (host) =>
    ({
      'loopback.attacker.example': [{ address: '127.0.0.1', family: 4 as const }],
      'metadata.attacker.example': [{ address: '169.254.169.254', family: 4 as const }],
      'mapped.attacker.example': [{ address: '::ffff:10.0.0.1', family: 6 as const }],
      'mixed.attacker.example': [
        { address: '93.184.216.34', family: 4 as const },
        { address: 'fd00:ec2::254', family: 6 as const },
      ],
    })[host] ?? [];

  it.each([
    'https://loopback.attacker.example/hook',
    'https://metadata.attacker.example/latest/meta-data',
    'https://mapped.attacker.example/',
    'https://mixed.attacker.example/',
  ])('refuses %s at delivery, after DNS, and records why', async (url) => {
    const caller = organization();
    const endpoint = await service(false).register(caller, { url, eventTypes: [] });
    await roleChanged(caller.orgId);

    expect(await dispatcherWith({ allowLoopback: false, resolve: resolver }).run()).toMatchObject({ failed: 1 });

    expect(receiver.received).toHaveLength(0);
    const [attempt] = (await service().attempts(caller, endpoint.id, 10)).items;
    expect(attempt).toMatchObject({ outcome: 'refused' });
    expect(attempt?.error).toMatch(/refused address/);
  });

  it('refuses http, address literals and user info at registration (400 on /url), unless loopback is allowed for local runs', async () => {
    const caller = organization();
    for (const url of [
      'http://hooks.acme.example/',
      'https://127.0.0.1/',
      'https://[::1]/',
      'https://169.254.169.254/',
      'https://10.1.2.3/',
      'https://user:pw@hooks.acme.example/',
      'not a url',
    ]) {
      const refused = await service(false)
        .register(caller, { url, eventTypes: [] })
        .catch((error: unknown) => error);
      expect(refused, url).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).issues.map((i) => i.pointer)).toEqual(['/url']);
    }
    await expect(service(true).register(caller, { url: `${receiver.url}/ok`, eventTypes: [] })).resolves.toBeTruthy();
    await expect(service(true).register(caller, { url: 'http://10.1.2.3/', eventTypes: [] })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('does not follow a redirect: a 3xx is a failed attempt, and its target is never called', async () => {
    const caller = organization();
    const endpoint = await service().register(caller, { url: `${receiver.url}/moved`, eventTypes: [] });
    await roleChanged(caller.orgId);
    receiver.plan = [302];

    expect(await dispatcherWith().run()).toMatchObject({ failed: 1 });

    expect(receiver.received.map((r) => r.path)).toEqual(['/moved']);
    const [attempt] = (await service().attempts(caller, endpoint.id, 10)).items;
    expect(attempt).toMatchObject({ outcome: 'failed', status: 302, error: 'redirect (302) not followed' });
  });
});

describe('Amazon EventBridge', () => {
  it('puts each event on the bus with its type as the detail-type, and retries an entry the bus refused', async () => {
    const eventBridge = mockClient(EventBridgeClient);
    try {
      eventBridge
        .on(PutEventsCommand)
        .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }] })
        .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'c' }] });
      const caller = organization();
      const first = await roleChanged(caller.orgId);
      const second = await events.record({
        orgId: caller.orgId,
        type: 'organization.renamed',
        target: { type: 'organization', id: caller.orgId },
        data: { name: 'New', previous_name: 'Old' },
      });
      const bus = new EventBridgeBus('orgs-service-test-events');

      expect(await dispatcherWith({}, bus).run()).toMatchObject({ published: 1 });
      expect(await dispatcherWith({}, bus).run()).toMatchObject({ published: 1 });

      const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
      expect(calls).toHaveLength(2);
      expect(calls[0]?.map((e) => [e.DetailType, e.Source, e.EventBusName])).toEqual([
        ['member.role_changed', 'orgs-service', 'orgs-service-test-events'],
        ['organization.renamed', 'orgs-service', 'orgs-service-test-events'],
      ]);
      expect(JSON.parse(calls[0]?.[0]?.Detail ?? '{}')).toMatchObject({ id: first.id, type: 'member.role_changed' });
      expect(calls[1]?.map((e) => JSON.parse(e.Detail ?? '{}').id)).toEqual([second.id]);
    } finally {
      eventBridge.restore();
    }
  });
});
