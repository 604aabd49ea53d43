import { contract } from '#core/http/contract.ts';
import { WebhookList } from '#core/webhooks/schemas.ts';

export const schema = contract({
  request: {},
  success: {
    status: 200,
    description: "The organization's webhook endpoints (without their secrets), oldest first.",
    body: WebhookList,
  },
  errors: [401, 403, 503],
  example: {},
});
