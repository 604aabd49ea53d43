import { contract } from '#core/http/contract.ts';
import { JobList, JobListQuery } from '#core/jobs/schemas.ts';

export const schema = contract({
  request: { query: JobListQuery },
  success: { status: 200, description: "The organization's jobs (moves, purges), newest first.", body: JobList },
  errors: [400, 401, 403, 503],
  example: { query: { limit: 20 } },
});
