import { contract } from '#core/http/contract.ts';
import { ReplayBody, Replayed, WEBHOOK_EXAMPLE, WebhookIdParams } from '#core/webhooks/schemas.ts';

export const schema = contract({
  request: { params: WebhookIdParams, body: ReplayBody },
  success: { status: 202, description: 'The events are queued for the endpoint; the dispatcher sends them.', body: Replayed },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: { 409: 'The endpoint is disabled (webhook_disabled).' },
  example: { params: { webhook_id: WEBHOOK_EXAMPLE.id }, body: { since: '2026-01-01T00:00:00Z' } },
});
