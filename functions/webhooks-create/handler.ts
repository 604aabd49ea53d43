import { admission, webhooks } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toWebhook } from '#core/webhooks/schemas.ts';
import type { WebhooksService } from '#core/webhooks/service.ts';
import { schema } from './schema.ts';

/** POST /org/webhooks: registers a webhook endpoint; the answer holds its secret, shown this once. */
export function createHandler(service: () => Promise<WebhooksService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'webhooks-create',
    contract: schema,
    handle: async ({ body, caller }) => {
      const endpoint = await (await service()).register(caller, {
        url: body.url,
        eventTypes: body.event_types,
        ...(body.description !== undefined ? { description: body.description } : {}),
      });
      return { ...toWebhook(endpoint), secret: endpoint.secret };
    },
  });
}

export const handler = createHandler(webhooks(), admission());
