import { admission, webhooks } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { WebhooksService } from '#core/webhooks/service.ts';
import { schema } from './schema.ts';

/** DELETE /org/webhooks/{webhook_id}: deletes a webhook endpoint. */
export function createHandler(service: () => Promise<WebhooksService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'webhooks-delete',
    contract: schema,
    handle: async ({ params, caller }) => {
      await (await service()).remove(caller, params.webhook_id);
    },
  });
}

export const handler = createHandler(webhooks(), admission());
