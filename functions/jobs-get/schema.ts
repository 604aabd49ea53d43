import { contract } from '#core/http/contract.ts';
import { JOB_EXAMPLE, JobIdParams, JobSchema } from '#core/jobs/schemas.ts';

export const schema = contract({
  request: { params: JobIdParams },
  success: {
    status: 200,
    description: 'The job: its state, its last checkpoint, its last error and, once done, its result.',
    body: JobSchema,
  },
  errors: [400, 401, 403, 404, 503],
  example: { params: { job_id: JOB_EXAMPLE.id } },
});
