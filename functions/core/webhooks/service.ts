import { randomBytes } from 'node:crypto';
import type { CallerIdentity } from '../auth/tokens.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { EventLog } from '../events/log.ts';
import type { EventType } from '../events/model.ts';
import { toAuditEvent } from '../events/schemas.ts';
import { newId } from '../ids.ts';
import { checkUrl, WebhookRefusedError } from './address-guard.ts';
import type { Delivery, DeliveryAttempt, WebhookEndpoint } from './model.ts';
import type { WebhookStore } from './stores.ts';

/**
 * The webhook endpoint use cases: register (the secret is shown this once), list, delete, list an
 * endpoint's delivery attempts, replay the organization's events from a time to an endpoint.
 */

export interface WebhooksDeps {
  readonly webhooks: WebhookStore;
  readonly events: EventLog;
  /** `WEBHOOK_ALLOW_LOOPBACK`: local runs and tests. */
  readonly allowLoopback: boolean;
  /** Endpoints an organization may have; default 20. */
  readonly maxEndpoints?: number;
  readonly now?: () => Date;
}

/** Events one replay queues at most. */
export const MAX_REPLAY = 1_000;

const notFound = () => new NotFoundError('webhook_not_found', 'This organization has no webhook endpoint with this id.');

export class WebhooksService {
  readonly #deps: WebhooksDeps;
  readonly #now: () => Date;

  constructor(deps: WebhooksDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Registers an endpoint for `eventTypes` (none: every type). The URL must be https and must not
   * name a refused address (checked again, after DNS, at every delivery).
   *
   * @returns the endpoint with its secret (`whsec_...`), which is never shown again.
   * @throws ValidationError (400) pointing at `/url`; ConflictError `webhook_limit` (409).
   */
  async register(
    caller: CallerIdentity,
    input: { url: string; eventTypes: readonly EventType[]; description?: string },
  ): Promise<WebhookEndpoint> {
    try {
      checkUrl(input.url, this.#deps.allowLoopback);
    } catch (error) {
      if (!(error instanceof WebhookRefusedError)) throw error;
      throw new ValidationError('The webhook URL is not acceptable.', [{ pointer: '/url', message: error.message }]);
    }
    const max = this.#deps.maxEndpoints ?? 20;
    if ((await this.#deps.webhooks.listEndpoints(caller.orgId, max)).length >= max) {
      throw new ConflictError('webhook_limit', `An organization may have at most ${max} webhook endpoints.`);
    }
    const endpoint: WebhookEndpoint = {
      id: newId(),
      orgId: caller.orgId,
      url: input.url,
      eventTypes: [...new Set(input.eventTypes)],
      ...(input.description !== undefined ? { description: input.description } : {}),
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      state: 'enabled',
      consecutiveFailures: 0,
      createdAt: this.#now(),
    };
    await this.#deps.webhooks.insertEndpoint(endpoint);
    return endpoint;
  }

  /** The organization's endpoints, oldest first. */
  list(caller: CallerIdentity): Promise<WebhookEndpoint[]> {
    return this.#deps.webhooks.listEndpoints(caller.orgId, 100);
  }

  /**
   * Deletes an endpoint; its pending deliveries are dropped at their next attempt.
   *
   * @throws NotFoundError `webhook_not_found` (404).
   */
  async remove(caller: CallerIdentity, id: string): Promise<void> {
    if (!(await this.#deps.webhooks.removeEndpoint(caller.orgId, id))) throw notFound();
  }

  /**
   * One page of the endpoint's delivery attempts, newest first.
   *
   * @throws NotFoundError `webhook_not_found` (404).
   */
  async attempts(
    caller: CallerIdentity,
    id: string,
    limit: number,
    before?: string,
  ): Promise<{ items: DeliveryAttempt[]; next?: string }> {
    if (!(await this.#deps.webhooks.findEndpoint(caller.orgId, id))) throw notFound();
    return this.#deps.webhooks.pageAttempts(caller.orgId, id, {
      limit,
      now: this.#now(),
      ...(before ? { before } : {}),
    });
  }

  /**
   * Queues the organization's events since `since` (of the endpoint's types, at most
   * {@link MAX_REPLAY}, the newest when there are more) for the endpoint again, as new deliveries.
   *
   * @returns how many were queued.
   * @throws NotFoundError `webhook_not_found` (404); ConflictError `webhook_disabled` (409).
   */
  async replay(caller: CallerIdentity, id: string, since: Date): Promise<number> {
    const endpoint = await this.#deps.webhooks.findEndpoint(caller.orgId, id);
    if (!endpoint) throw notFound();
    if (endpoint.state !== 'enabled') {
      throw new ConflictError('webhook_disabled', 'The endpoint is disabled: register it again to receive events.');
    }
    const now = this.#now();
    const deliveries: Delivery[] = [];
    let before: number | undefined;
    do {
      const page = await this.#deps.events.page(
        caller.orgId,
        { since, ...(endpoint.eventTypes.length > 0 ? { types: endpoint.eventTypes } : {}) },
        100,
        before,
      );
      for (const event of page.items) {
        if (deliveries.length >= MAX_REPLAY) break;
        deliveries.push({
          id: `${event.id}:${endpoint.id}:replay:${now.getTime()}`,
          orgId: caller.orgId,
          endpointId: endpoint.id,
          eventId: event.id,
          eventType: event.type,
          payload: JSON.stringify(toAuditEvent(event)),
          state: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          createdAt: now,
        });
      }
      before = page.next;
    } while (before !== undefined && deliveries.length < MAX_REPLAY);
    await this.#deps.webhooks.insertDeliveries(deliveries);
    return deliveries.length;
  }
}
