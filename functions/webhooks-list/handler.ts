import { admission, webhooks } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toWebhook } from '#core/webhooks/schemas.ts';
import type { WebhooksService } from '#core/webhooks/service.ts';
import { schema } from './schema.ts';

/** GET /org/webhooks: the organization's webhook endpoints. */
export function createHandler(service: () => Promise<WebhooksService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'webhooks-list',
    contract: schema,
    handle: async ({ caller }) => ({ webhooks: (await (await service()).list(caller)).map(toWebhook) }),
  });
}

export const handler = createHandler(webhooks(), admission());
