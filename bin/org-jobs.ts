#!/usr/bin/env node
/**
 * The operator's view of jobs (moves, purges): list, show, cancel, retry, or work on one here.
 *
 *   npm run org:jobs -- list [--org-id <organization id>] [--state queued|running|succeeded|failed|cancelled] [--limit 20]
 *   npm run org:jobs -- show <job id>
 *   npm run org:jobs -- cancel <job id>     # a move cancels until its switch, and is undone
 *   npm run org:jobs -- retry <job id>      # a failed job, queued again with its attempts reset
 *   npm run org:jobs -- run <job id>        # work on it in this process until it ends
 *
 * It uses the same settings as the functions (MONGODB_URI or MONGODB_SECRET_ID, MASTER_DB_NAME,
 * TENANT_DB_NAME, OPERATION_LEASE_SECONDS, JOB_*). Prints JSON; exits 1 when the job is missing or
 * the action does not apply to it, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { organizations } from '#core/app.ts';
import { FINAL_JOB_STATES, type JobState } from '#core/jobs/model.ts';
import { toJob } from '#core/jobs/schemas.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { collectionLabel } from '#core/orgs/labels.ts';

const usage =
  'usage: org-jobs list [--org-id <id>] [--state <state>] [--limit <n>]\n       org-jobs show|cancel|retry|run <job id>';
const STATES: readonly JobState[] = ['queued', 'running', ...FINAL_JOB_STATES];

/** Runs the command; returns what to print and the exit code. */
export async function orgJobs(args: readonly string[]): Promise<{ out: string; code: number }> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'org-id': { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' } },
  });
  const [action, id] = positionals;
  const jobs = (await organizations({ label: collectionLabel })()).jobs;
  if (action === 'list') {
    const state = values.state as JobState | undefined;
    const limit = Number(values.limit ?? 20);
    if ((state !== undefined && !STATES.includes(state)) || !Number.isInteger(limit) || limit < 1 || limit > 1_000) {
      return { out: usage, code: 2 };
    }
    const listed = values['org-id']
      ? (await jobs.listByOrg(values['org-id'], limit)).filter((job) => !state || job.state === state)
      : await jobs.list(limit, state ? [state] : undefined);
    return { out: JSON.stringify({ jobs: listed.map(toJob) }), code: 0 };
  }
  if (!id || !['show', 'cancel', 'retry', 'run'].includes(action ?? '')) return { out: usage, code: 2 };
  const found =
    action === 'show'
      ? await jobs.get(id)
      : action === 'cancel'
        ? await jobs.cancel(id)
        : action === 'retry'
          ? await jobs.retry(id)
          : await jobs.get(id).then((job) => (job ? jobs.runToEnd(id) : null));
  if (!found) {
    const existing = await jobs.get(id);
    const why = existing ? `job ${id} is ${existing.state}: nothing to ${action}` : `no job ${id}`;
    return { out: why, code: 1 };
  }
  return { out: JSON.stringify(toJob(found)), code: 0 };
}

if (import.meta.main) {
  try {
    const { out, code } = await orgJobs(process.argv.slice(2));
    (code === 0 ? console.log : console.error)(out);
    process.exitCode = code;
  } finally {
    await closeMongoClient();
  }
}
