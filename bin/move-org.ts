#!/usr/bin/env node
/**
 * Moves one organization's data to the other placement mode (an operator's action), or settles
 * interrupted operations.
 *
 *   npm run org:move -- --org "Acme Corp" --to database
 *   npm run org:move -- --id 65f1c0ffee0123456789abcd --to collection
 *   npm run org:move -- --reconcile
 *
 * It uses the same settings as the functions (MONGODB_URI or MONGODB_SECRET_ID, MASTER_DB_NAME,
 * TENANT_DB_NAME, OPERATION_LEASE_SECONDS). While the data moves, the organization's records writes
 * are answered 503 with Retry-After and reads are served from the current place; the move copies,
 * verifies, switches and removes the old place. If it is interrupted, run it again (or --reconcile
 * once the lease has passed): it finishes the move.
 */
import { parseArgs } from 'node:util';
import { organizations } from '#core/app.ts';
import { AppError } from '#core/errors.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { PLACEMENT_MODES, type PlacementMode } from '#core/orgs/model.ts';

const usage = 'usage: move-org (--org <name> | --id <organization id>) --to collection|database\n       move-org --reconcile';

/** Runs the command; returns what to print and the exit code. */
export async function moveOrg(args: readonly string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: [...args],
    options: { org: { type: 'string' }, id: { type: 'string' }, to: { type: 'string' }, reconcile: { type: 'boolean' } },
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
  try {
    const org = await service.move(values.id !== undefined ? { id: values.id } : { name: values.org }, mode);
    const { mode: placed, database, collection } = org.placement;
    return {
      out: JSON.stringify({
        organization_id: org.id,
        organization_name: org.name,
        placement: { mode: placed, database, collection },
      }),
      code: 0,
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
