import { contract } from '#core/http/contract.ts';
import { AttemptList, AttemptListQuery, WEBHOOK_EXAMPLE, WebhookIdParams } from '#core/webhooks/schemas.ts';

export const schema = contract({
  request: { params: WebhookIdParams, query: AttemptListQuery },
  success: { status: 200, description: "A page of the endpoint's delivery attempts, newest first.", body: AttemptList },
  errors: [400, 401, 403, 404, 503],
  example: { params: { webhook_id: WEBHOOK_EXAMPLE.id }, query: { limit: 50 } },
});
