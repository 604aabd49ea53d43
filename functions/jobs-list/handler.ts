import { admission, organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toJob } from '#core/jobs/schemas.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** GET /org/jobs?limit=: the caller's organization's jobs, newest first. */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'jobs-list',
    contract: schema,
    handle: async ({ query, caller }) => {
      const jobs = await (await service()).jobs.listByOrg(caller.orgId, query.limit);
      return { jobs: jobs.map(toJob) };
    },
  });
}

export const handler = createHandler(organizations(), admission());
