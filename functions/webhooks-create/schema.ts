import { contract } from '#core/http/contract.ts';
import { CreatedWebhook, CreateWebhookBody, WEBHOOK_EXAMPLE } from '#core/webhooks/schemas.ts';

export const schema = contract({
  request: { body: CreateWebhookBody },
  success: { status: 201, description: 'The endpoint, with its signing secret (shown this once).', body: CreatedWebhook },
  errors: [400, 401, 403, 409, 413, 415, 503],
  errorDescriptions: { 409: 'The organization has its most endpoints (webhook_limit).' },
  example: { body: { url: WEBHOOK_EXAMPLE.url, event_types: ['member.joined', 'member.removed'] } },
});
