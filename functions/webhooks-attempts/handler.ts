import { admission, webhooks } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { toAttempt } from '#core/webhooks/schemas.ts';
import type { WebhooksService } from '#core/webhooks/service.ts';
import { schema } from './schema.ts';

/** GET /org/webhooks/{webhook_id}/attempts: every delivery attempt to the endpoint, newest first. */
export function createHandler(service: () => Promise<WebhooksService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'webhooks-attempts',
    contract: schema,
    handle: async ({ params, query, caller }) => {
      const page = await (await service()).attempts(caller, params.webhook_id, query.limit, query.cursor);
      return { attempts: page.items.map(toAttempt), next_cursor: page.next ?? null };
    },
  });
}

export const handler = createHandler(webhooks(), admission());
