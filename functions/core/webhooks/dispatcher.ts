import { Webhook } from 'standardwebhooks';
import type { EventBus } from '../events/bus.ts';
import type { EventLog } from '../events/log.ts';
import { toAuditEvent } from '../events/schemas.ts';
import type { EventStore } from '../events/stores.ts';
import { newId } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import { type Resolver, systemResolver } from './address-guard.ts';
import type { Delivery, DeliveryAttempt, WebhookEndpoint } from './model.ts';
import { type SendResult, sendWebhook } from './sender.ts';
import type { WebhookStore } from './stores.ts';

/**
 * The dispatcher: delivers committed events, at least once, to EventBridge and to the organization's
 * webhook endpoints. One run:
 *
 * 1. takes a batch of committed events not yet dispatched (oldest commit first), puts them on the
 *    bus, makes one delivery per event and subscribed endpoint (ids `<event>:<endpoint>`, so a
 *    repeated run makes none twice), and marks them dispatched;
 * 2. sends the deliveries that are due, signed with the endpoint's secret by the `standardwebhooks`
 *    package; each attempt is recorded. A failed delivery is retried after
 *    {@link DispatcherSettings.baseDelayMs} x 4^(n-1), at most {@link DispatcherSettings.maxDelayMs}
 *    apart, {@link DispatcherSettings.maxAttempts} attempts in all (by default 8, after 30 s, 2 min,
 *    8 min, 32 min, 2 h 8 min, 8 h 32 min and 10 h: about 21 hours), then given up. An endpoint that
 *    fails {@link DispatcherSettings.disableAfter} attempts in a row is disabled, and a
 *    `webhook.endpoint_disabled` event says so.
 *
 * Deliveries are not ordered across retries (a receiver orders by the event's `sequence`) and may
 * repeat (a receiver deduplicates by `webhook-id`, the event id), as the Standard Webhooks
 * specification expects.
 */

export interface DispatcherSettings {
  /** Events one run takes; default 200. */
  readonly eventBatch?: number;
  /** Deliveries one run sends; default 200. */
  readonly deliveryBatch?: number;
  /** Deliveries sent at once; default 16. */
  readonly concurrency?: number;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Failed attempts in a row that disable an endpoint; default 20. */
  readonly disableAfter?: number;
  /** How long a taken delivery is left to its run (ms); default 2 minutes. */
  readonly leaseMs?: number;
  /** Per request (ms); default 10 s. */
  readonly timeoutMs?: number;
  /** How long attempts are kept (ms): the event retention. */
  readonly retentionMs: number;
  /** Loopback endpoints allowed (local runs and tests only; `WEBHOOK_ALLOW_LOOPBACK`). */
  readonly allowLoopback?: boolean;
  readonly resolve?: Resolver;
  readonly now?: () => Date;
}

export interface DispatcherDeps {
  readonly events: Pick<EventStore, 'listUndispatched' | 'markDispatched'>;
  readonly webhooks: WebhookStore;
  /** Where `webhook.endpoint_disabled` is recorded. */
  readonly eventLog: EventLog;
  /** None: events go to webhooks only (`npm start`). */
  readonly bus?: EventBus;
}

/** What one run did. */
export interface DispatchReport {
  readonly published: number;
  readonly queued: number;
  readonly delivered: number;
  readonly failed: number;
  readonly abandoned: number;
  readonly disabled: number;
}

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #s: Required<Omit<DispatcherSettings, 'resolve'>> & { resolve?: Resolver };
  /** When the current run began taking deliveries. */
  #runAt?: Date;

  constructor(deps: DispatcherDeps, settings: DispatcherSettings) {
    this.#deps = deps;
    this.#s = {
      eventBatch: 200,
      deliveryBatch: 200,
      concurrency: 16,
      maxAttempts: 8,
      baseDelayMs: 30_000,
      maxDelayMs: 10 * 3_600_000,
      disableAfter: 20,
      leaseMs: 120_000,
      timeoutMs: 10_000,
      allowLoopback: false,
      now: () => new Date(),
      ...settings,
    };
  }

  /** The delay before attempt `attempts + 1` after `attempts` failed ones (ms). */
  delayAfter(attempts: number): number {
    return Math.min(this.#s.maxDelayMs, this.#s.baseDelayMs * 4 ** Math.max(0, attempts - 1));
  }

  /** One run: fan out new events, then send what is due. Failures are recorded, not thrown (but a store outage is). */
  async run(): Promise<DispatchReport> {
    const fanned = await this.#fanOut();
    const sent = await this.#deliverDue();
    return { ...fanned, ...sent };
  }

  async #fanOut(): Promise<{ published: number; queued: number }> {
    const events = await this.#deps.events.listUndispatched(this.#s.eventBatch);
    if (events.length === 0) return { published: 0, queued: 0 };
    const payloads = new Map(events.map((e) => [e.id, JSON.stringify(toAuditEvent(e))]));
    let failed = new Set<string>();
    if (this.#deps.bus) {
      try {
        failed = new Set(
          await this.#deps.bus.put(
            events.map((e) => ({ id: e.id, type: e.type, time: e.time, detail: payloads.get(e.id) ?? '{}' })),
          ),
        );
      } catch (error) {
        log.error('events not put on the bus; the next run tries again', errorFields(error));
        return { published: 0, queued: 0 };
      }
    }
    const endpoints = new Map<string, WebhookEndpoint[]>();
    const deliveries: Delivery[] = [];
    const now = this.#s.now();
    for (const event of events) {
      if (failed.has(event.id)) continue;
      if (!endpoints.has(event.orgId)) endpoints.set(event.orgId, await this.#deps.webhooks.listEndpoints(event.orgId, 100));
      for (const endpoint of endpoints.get(event.orgId) ?? []) {
        if (endpoint.state !== 'enabled') continue;
        if (endpoint.eventTypes.length > 0 && !endpoint.eventTypes.includes(event.type)) continue;
        deliveries.push({
          id: `${event.id}:${endpoint.id}`,
          orgId: event.orgId,
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          payload: payloads.get(event.id) ?? '{}',
          state: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
        });
      }
    }
    await this.#deps.webhooks.insertDeliveries(deliveries);
    const done = events.filter((e) => !failed.has(e.id)).map((e) => e.id);
    await this.#deps.events.markDispatched(done, now);
    return { published: this.#deps.bus ? done.length : 0, queued: deliveries.length };
  }

  async #deliverDue(): Promise<Omit<DispatchReport, 'published' | 'queued'>> {
    this.#runAt = this.#s.now();
    const due = await this.#deps.webhooks.takeDue(this.#runAt, this.#s.deliveryBatch, this.#s.leaseMs);
    const counts = { delivered: 0, failed: 0, abandoned: 0, disabled: 0 };
    const endpoints = new Map<string, WebhookEndpoint | null>();
    const attempts: DeliveryAttempt[] = [];
    const updates: Parameters<WebhookStore['recordAttempts']>[1][number][] = [];
    const queue = [...due];
    const worker = async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
        try {
          const outcome = await this.#attempt(delivery, endpoints);
          counts[outcome.result] += 1;
          if (outcome.disabled) counts.disabled += 1;
          if (outcome.attempt) attempts.push(outcome.attempt);
          updates.push(outcome.update);
        } catch (error) {
          log.warn('delivery attempt failed to run; its lease frees it', { deliveryId: delivery.id, ...errorFields(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#s.concurrency, due.length) }, worker));
    // Recorded together; a run that dies before this sends its batch again once the lease passes.
    await this.#deps.webhooks.recordAttempts(attempts, updates);
    return counts;
  }

  async #attempt(
    delivery: Delivery,
    endpoints: Map<string, WebhookEndpoint | null>,
  ): Promise<{
    result: 'delivered' | 'failed' | 'abandoned';
    disabled?: boolean;
    attempt?: DeliveryAttempt;
    update: Pick<Delivery, 'id' | 'state' | 'attempts' | 'nextAttemptAt'>;
  }> {
    const s = this.#deps.webhooks;
    if (!endpoints.has(delivery.endpointId)) {
      endpoints.set(delivery.endpointId, await s.findEndpoint(delivery.orgId, delivery.endpointId));
    }
    const endpoint = endpoints.get(delivery.endpointId);
    const number = delivery.attempts + 1;
    if (endpoint?.state !== 'enabled') {
      const update = {
        id: delivery.id,
        state: 'failed' as const,
        attempts: delivery.attempts,
        nextAttemptAt: delivery.nextAttemptAt,
      };
      return { result: 'abandoned', update };
    }
    const started = this.#s.now();
    const timer = performance.now();
    const runAt = this.#runAt ?? started;
    // Standard Webhooks: webhook-id (the event id, the same on every retry), webhook-timestamp,
    // webhook-signature (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), made by the package.
    const signature = new Webhook(endpoint.secret).sign(delivery.eventId, started, delivery.payload);
    const result: SendResult = await sendWebhook(
      endpoint.url,
      delivery.payload,
      {
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(started.getTime() / 1000)),
        'webhook-signature': signature,
      },
      { resolve: this.#s.resolve ?? systemResolver, allowLoopback: this.#s.allowLoopback, timeoutMs: this.#s.timeoutMs },
    );
    const attempt: DeliveryAttempt = {
      id: newId(),
      orgId: delivery.orgId,
      endpointId: endpoint.id,
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      attempt: number,
      at: started,
      outcome: result.ok ? 'delivered' : result.refused ? 'refused' : 'failed',
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
      durationMs: Math.round(performance.now() - timer),
      expiresAt: new Date(started.getTime() + this.#s.retentionMs),
    };
    if (result.ok) {
      if (endpoint.consecutiveFailures > 0) {
        const reset = await s.recordOutcome(endpoint.id, true);
        if (reset) endpoints.set(endpoint.id, reset);
      }
      return {
        result: 'delivered',
        attempt,
        update: { id: delivery.id, state: 'delivered', attempts: number, nextAttemptAt: started },
      };
    }
    const giveUp = number >= this.#s.maxAttempts;
    const update = {
      id: delivery.id,
      state: giveUp ? ('failed' as const) : ('pending' as const),
      attempts: number,
      // From the run's start, so that the run's deliveries share their updates (see recordAttempts).
      nextAttemptAt: new Date(runAt.getTime() + this.delayAfter(number)),
    };
    const after = await s.recordOutcome(endpoint.id, false);
    const disabled = after !== null && after.consecutiveFailures >= this.#s.disableAfter && (await this.#disable(after));
    if (disabled && after) endpoints.set(endpoint.id, { ...after, state: 'disabled' });
    return { result: giveUp ? 'abandoned' : 'failed', disabled, attempt, update };
  }

  async #disable(endpoint: WebhookEndpoint): Promise<boolean> {
    const now = this.#s.now();
    if (!(await this.#deps.webhooks.disable(endpoint.id, now))) return false;
    log.warn('webhook endpoint disabled after failures in a row', { endpointId: endpoint.id, orgId: endpoint.orgId });
    await this.#deps.eventLog.record({
      orgId: endpoint.orgId,
      type: 'webhook.endpoint_disabled',
      actor: { type: 'system' },
      target: { type: 'webhook_endpoint', id: endpoint.id },
      data: { url: endpoint.url, consecutive_failures: endpoint.consecutiveFailures },
    });
    return true;
  }
}
