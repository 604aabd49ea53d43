import { contract } from '#core/http/contract.ts';
import { WEBHOOK_EXAMPLE, WebhookIdParams } from '#core/webhooks/schemas.ts';

export const schema = contract({
  request: { params: WebhookIdParams },
  success: { status: 204, description: 'The endpoint is gone; nothing more is sent to it.' },
  errors: [400, 401, 403, 404, 503],
  example: { params: { webhook_id: WEBHOOK_EXAMPLE.id } },
});
