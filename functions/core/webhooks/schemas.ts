import { EventTypeSchema } from '../events/schemas.ts';
import { objectId } from '../orgs/schemas.ts';
import * as z from '../zod.ts';
import type { DeliveryAttempt, WebhookEndpoint } from './model.ts';

/** Request and response shapes of the webhook routes. */

export const WEBHOOK_EXAMPLE = {
  id: '0123456789abcdef01234567',
  url: 'https://hooks.acme.example/orgs',
} as const;

const LIMIT = 'must be an integer from 1 to 100';

export const CreateWebhookBody = z.strictObject({
  url: z.string().check(z.maxLength(2048), z.describe('An https URL; it must not resolve to a private or loopback address')),
  event_types: z._default(
    z.array(EventTypeSchema).check(z.maxLength(50), z.describe('The event types to receive; empty: every type')),
    [],
  ),
  description: z.optional(z.string().check(z.maxLength(200))),
});

export const WebhookEndpointSchema = z
  .strictObject({
    webhook_id: objectId,
    url: z.string(),
    event_types: z.array(EventTypeSchema),
    description: z.optional(z.string()),
    state: z.enum(['enabled', 'disabled']),
    created_at: z.iso.datetime(),
    disabled_at: z.optional(z.iso.datetime()),
  })
  .check(z.meta({ id: 'WebhookEndpoint' }));

export const CreatedWebhook = z
  .strictObject({
    ...WebhookEndpointSchema.def.shape,
    secret: z.string().check(z.describe('The signing secret (`whsec_` and base64), shown this once: verify deliveries with it')),
  })
  .check(z.meta({ id: 'CreatedWebhookEndpoint' }));

export const WebhookList = z.strictObject({ webhooks: z.array(WebhookEndpointSchema) });

export const WebhookIdParams = z.strictObject({
  webhook_id: objectId.check(z.meta({ description: 'A webhook endpoint id' })),
});

export const AttemptListQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 50)
    .check(z.describe('Attempts per page, 1 to 100')),
  cursor: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{24}$/, 'is not a cursor this API issued'), z.describe("The previous page's next_cursor")),
  ),
});

export const AttemptSchema = z
  .strictObject({
    attempt_id: objectId,
    event_id: z.string(),
    event_type: EventTypeSchema,
    attempt: z.number().check(z.describe("1 for the delivery's first try")),
    at: z.iso.datetime(),
    outcome: z.enum(['delivered', 'failed', 'refused']),
    status: z.optional(z.number().check(z.describe("The endpoint's HTTP status, when it answered"))),
    error: z.optional(z.string()),
    duration_ms: z.number(),
  })
  .check(z.meta({ id: 'WebhookAttempt' }));

export const AttemptList = z.strictObject({
  attempts: z.array(AttemptSchema).check(z.describe('Newest first')),
  next_cursor: z.nullable(z.string()),
});

export const ReplayBody = z.strictObject({
  since: z.iso.datetime({ offset: true }).check(z.describe('Replay the events at or after this time (RFC 3339)')),
});

export const Replayed = z.strictObject({
  queued: z.number().check(z.describe('Events queued for the endpoint (at most 1,000, the newest)')),
});

export function toWebhook(endpoint: WebhookEndpoint): z.input<typeof WebhookEndpointSchema> {
  return {
    webhook_id: endpoint.id,
    url: endpoint.url,
    event_types: [...endpoint.eventTypes],
    ...(endpoint.description !== undefined ? { description: endpoint.description } : {}),
    state: endpoint.state,
    created_at: endpoint.createdAt.toISOString(),
    ...(endpoint.disabledAt ? { disabled_at: endpoint.disabledAt.toISOString() } : {}),
  };
}

export function toAttempt(attempt: DeliveryAttempt): z.input<typeof AttemptSchema> {
  return {
    attempt_id: attempt.id,
    event_id: attempt.eventId,
    event_type: attempt.eventType,
    attempt: attempt.attempt,
    at: attempt.at.toISOString(),
    outcome: attempt.outcome,
    ...(attempt.status !== undefined ? { status: attempt.status } : {}),
    ...(attempt.error ? { error: attempt.error } : {}),
    duration_ms: attempt.durationMs,
  };
}
