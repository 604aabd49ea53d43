import type { EventType } from '../events/model.ts';

/**
 * Webhook endpoints and their deliveries. An organization registers endpoints (an https URL and the
 * event types it wants); the dispatcher makes one delivery per event and endpoint and sends it signed
 * as the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`: HMAC-SHA256 over `id.timestamp.body` with the endpoint's secret), retrying on
 * failure, and records every attempt.
 */

export interface WebhookEndpoint {
  /** 24 hex digits. */
  readonly id: string;
  readonly orgId: string;
  readonly url: string;
  /** What the endpoint receives; empty: every type. */
  readonly eventTypes: readonly EventType[];
  readonly description?: string;
  /** `whsec_` and the base64 of 32 random bytes (the Standard Webhooks form); shown once, at registration. */
  readonly secret: string;
  readonly state: 'enabled' | 'disabled';
  /** Failed attempts in a row (any delivery); a success resets it. */
  readonly consecutiveFailures: number;
  readonly createdAt: Date;
  readonly disabledAt?: Date;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One event for one endpoint. */
export interface Delivery {
  /** `<event id>:<endpoint id>`, or with `:replay:<time>` for a replay: one delivery per event and endpoint. */
  readonly id: string;
  readonly orgId: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly eventType: EventType;
  /** The body sent (the event as the audit log shows it), serialized once so every attempt signs the same bytes. */
  readonly payload: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly createdAt: Date;
}

/** One try at a delivery, as `GET /org/webhooks/{id}/attempts` lists it. */
export interface DeliveryAttempt {
  readonly id: string;
  readonly orgId: string;
  readonly endpointId: string;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: EventType;
  /** 1 for the first try of the delivery. */
  readonly attempt: number;
  readonly at: Date;
  readonly outcome: 'delivered' | 'failed' | 'refused';
  /** The endpoint's HTTP status, when it answered. */
  readonly status?: number;
  /** Why it failed: a timeout, a refused address, a redirect, a status. Never the body. */
  readonly error?: string;
  readonly durationMs: number;
  readonly expiresAt: Date;
}
