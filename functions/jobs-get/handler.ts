import { admission, organizations } from '#core/app.ts';
import { NotFoundError } from '#core/errors.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toJob } from '#core/jobs/schemas.ts';
import type { Admission } from '#core/limits/admission.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/** GET /org/jobs/{job_id}: one of the caller's organization's jobs (404 for another organization's). */
export function createHandler(service: () => Promise<OrganizationService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'jobs-get',
    contract: schema,
    handle: async ({ params, caller }) => {
      const job = await (await service()).jobs.get(params.job_id);
      if (!job || job.orgId !== caller.orgId)
        throw new NotFoundError('job_not_found', 'Your organization has no job with this id.');
      return toJob(job);
    },
  });
}

export const handler = createHandler(organizations(), admission());
