import type { Delivery, DeliveryAttempt, WebhookEndpoint } from './model.ts';

/** The port of the webhook collections; `#core/mongo/webhook-store.ts` implements it on MongoDB. */
export interface WebhookStore {
  insertEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  findEndpoint(orgId: string, id: string): Promise<WebhookEndpoint | null>;
  /** The organization's endpoints, oldest first (at most `limit`). */
  listEndpoints(orgId: string, limit: number): Promise<WebhookEndpoint[]>;
  /** Removes the endpoint; false when there was none. Its deliveries fail at their next attempt. */
  removeEndpoint(orgId: string, id: string): Promise<boolean>;
  /** Records an attempt's outcome on the endpoint: a success resets the run of failures, a failure adds one. */
  recordOutcome(id: string, ok: boolean): Promise<WebhookEndpoint | null>;
  /** Disables the endpoint if enabled; true when this call did. */
  disable(id: string, at: Date): Promise<boolean>;
  /** Inserts deliveries; one already there (same id) is left as it is. */
  insertDeliveries(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Up to `limit` pending deliveries due at `now`, oldest due first, each leased (its next attempt moved
   * to `now + leaseMs`) before it is returned, so a concurrent run normally skips it (at least once).
   */
  takeDue(now: Date, limit: number, leaseMs: number): Promise<Delivery[]>;
  /** Records a run's attempts and its deliveries' new states, in two bulk writes. */
  recordAttempts(
    attempts: readonly DeliveryAttempt[],
    deliveries: readonly Pick<Delivery, 'id' | 'state' | 'attempts' | 'nextAttemptAt'>[],
  ): Promise<void>;
  /** The endpoint's attempts, newest first, `limit` at a time, older than the attempt id `before`. */
  pageAttempts(
    orgId: string,
    endpointId: string,
    options: { limit: number; before?: string; now: Date },
  ): Promise<{ items: DeliveryAttempt[]; next?: string }>;
}
