#!/usr/bin/env node
/**
 * Moves one organization's data to the other placement mode (an operator's action), or settles
 * interrupted operations.
 *
 *   npm run org:move -- --org "Acme Corp" --to database
 *   npm run org:move -- --id 65f1c0ffee0123456789abcd --to collection [--wait]
 *   npm run org:move -- --reconcile
 *
 * A move is a job (see `npm run org:jobs`). With JOB_QUEUE_URL set (the stage's job queue), the
 * script starts it and prints the job (`state: queued`): the job worker carries it out, and
 * `npm run org:jobs -- show <job_id>` follows it. Without a queue, or with `--wait`, this process
 * works on the job itself until it ends and prints where the data is then.
 *
 * It uses the same settings as the functions (MONGODB_URI or MONGODB_SECRET_ID, MASTER_DB_NAME,
 * TENANT_DB_NAME, OPERATION_LEASE_SECONDS, JOB_*). While the data moves, the organization's records
 * writes are answered 503 with Retry-After and reads are served from the current place. If this
 * process is interrupted, the job resumes from its last checkpoint (run `--reconcile` once the lease
 * has passed, or `npm run org:jobs -- run <job_id>`).
 */
import { parseArgs } from 'node:util';
import { organizations } from '#core/app.ts';
import { jobsConfig } from '#core/config.ts';
import { AppError } from '#core/errors.ts';
import { toJob } from '#core/jobs/schemas.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { type Organization, PLACEMENT_MODES, type PlacementMode } from '#core/orgs/model.ts';

const usage =
  'usage: move-org (--org <name> | --id <organization id>) --to collection|database [--wait]\n       move-org --reconcile';

const placed = (org: Organization) => {
  const { mode, database, collection } = org.placement;
  return { organization_id: org.id, organization_name: org.name, placement: { mode, database, collection } };
};

/** Runs the command; returns what to print and the exit code. */
export async function moveOrg(args: readonly string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      org: { type: 'string' },
      id: { type: 'string' },
      to: { type: 'string' },
      wait: { type: 'boolean' },
      reconcile: { type: 'boolean' },
    },
  });
  const service = await organizations({ label: collectionLabel })();
  if (values.reconcile) {
    const report = await service.reconcile();
    return { out: JSON.stringify(report), code: report.failures.length === 0 ? 0 : 1 };
  }
  const mode = values.to as PlacementMode | undefined;
  if ((values.org === undefined) === (values.id === undefined) || !mode || !PLACEMENT_MODES.includes(mode)) {
    return { out: usage, code: 2 };
  }
  const ref = values.id !== undefined ? { id: values.id } : { name: values.org };
  try {
    const { org, job } = await service.startMove(ref, mode);
    if (!job) return { out: JSON.stringify(placed(org)), code: 0 };
    if (jobsConfig().queueUrl && !values.wait) return { out: JSON.stringify({ ...placed(org), job: toJob(job) }), code: 0 };
    const ended = await service.jobs.runToEnd(job.id);
    const after = await service.jobs.get(job.id);
    const now = (await service.get(org.name).catch(() => null)) ?? org;
    return {
      out: JSON.stringify({ ...placed(now), job: toJob(after ?? ended) }),
      code: ended.state === 'succeeded' ? 0 : 1,
    };
  } catch (error) {
    if (error instanceof AppError) return { out: `${error.code}: ${error.message}`, code: 1 };
    throw error;
  }
}

if (import.meta.main) {
  try {
    const { out, code } = await moveOrg(process.argv.slice(2));
    (code === 0 ? console.log : console.error)(out);
    process.exitCode = code;
  } finally {
    await closeMongoClient();
  }
}
