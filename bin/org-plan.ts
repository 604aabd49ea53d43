#!/usr/bin/env node
/**
 * Puts one organization on another plan (an operator's action), and records the change with who
 * made it and why; or lists an organization's plan changes.
 *
 *   npm run org:plan -- --org "Acme Corp" --plan premium --by alice@example.com --reason "contract 42"
 *   npm run org:plan -- --id 65f1c0ffee0123456789abcd --plan free --by alice@example.com
 *   npm run org:plan -- --id 65f1c0ffee0123456789abcd --history
 *
 * It uses the same settings as the functions (MONGODB_URI or MONGODB_SECRET_ID, MASTER_DB_NAME, and
 * the stage's PLANS and DEFAULT_PLAN). Every container serves the new plan within PLAN_CACHE_SECONDS
 * (30 s in every stage): the functions read an organization's plan again once their copy is that old.
 */
import { parseArgs } from 'node:util';
import { usage } from '#core/app.ts';
import { AppError } from '#core/errors.ts';
import { closeMongoClient } from '#core/mongo/client.ts';

const help =
  'usage: org-plan (--org <name> | --id <organization id>) --plan <plan> --by <operator> [--reason <text>]\n' +
  '       org-plan (--org <name> | --id <organization id>) --history';

/** Runs the command; returns what to print and the exit code. */
export async function orgPlan(args: readonly string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      org: { type: 'string' },
      id: { type: 'string' },
      plan: { type: 'string' },
      by: { type: 'string' },
      reason: { type: 'string' },
      history: { type: 'boolean' },
    },
  });
  if ((values.org === undefined) === (values.id === undefined)) return { out: help, code: 2 };
  if (!values.history && (!values.plan || !values.by)) return { out: help, code: 2 };
  const which = values.id !== undefined ? { id: values.id } : { name: values.org ?? '' };
  const service = await usage()();
  try {
    if (values.history) {
      const changes = await service.planHistory(which);
      return { out: changes.map((change) => JSON.stringify(change)).join('\n'), code: 0 };
    }
    const result = await service.changePlan(which, values.plan ?? '', values.by ?? '', values.reason);
    return { out: JSON.stringify(result), code: 0 };
  } catch (error) {
    if (error instanceof AppError) return { out: `${error.code}: ${error.message}`, code: 1 };
    throw error;
  }
}

if (import.meta.main) {
  try {
    const { out, code } = await orgPlan(process.argv.slice(2));
    (code === 0 ? console.log : console.error)(out);
    process.exitCode = code;
  } finally {
    await closeMongoClient();
  }
}
