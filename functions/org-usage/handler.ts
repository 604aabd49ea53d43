import { admission, usage } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { UsageService } from '#core/limits/usage.ts';
import { schema } from './schema.ts';

/** GET /org/usage: the caller's organization's plan, holdings and usage per day. */
export function createHandler(service: () => Promise<UsageService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    name: 'org-usage',
    contract: schema,
    admission: limit,
    handle: async ({ query, caller }) => (await service()).ofOrganization(caller.orgId, query.days),
  });
}

export const handler = createHandler(usage(), admission());
