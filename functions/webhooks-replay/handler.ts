import { admission, webhooks } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { WebhooksService } from '#core/webhooks/service.ts';
import { schema } from './schema.ts';

/** POST /org/webhooks/{webhook_id}/replay: sends the organization's events since a time to the endpoint again. */
export function createHandler(service: () => Promise<WebhooksService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'webhooks-replay',
    contract: schema,
    handle: async ({ params, body, caller }) => ({
      queued: await (await service()).replay(caller, params.webhook_id, new Date(body.since)),
    }),
  });
}

export const handler = createHandler(webhooks(), admission());
