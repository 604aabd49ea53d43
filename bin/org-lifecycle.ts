#!/usr/bin/env node
/**
 * The operator's hand on an organization's lifecycle after a delete (see README, "Organization
 * lifecycle"):
 *
 *   npm run org:lifecycle -- status  --org "Acme Corp"
 *   npm run org:lifecycle -- restore --org "Acme Corp"        # within or after the window, until a purge begins
 *   npm run org:lifecycle -- hold    --id 65f1c0ffee0123456789abcd   # legal hold: no purge until released
 *   npm run org:lifecycle -- release --id 65f1c0ffee0123456789abcd
 *   npm run org:lifecycle -- purge   --org "Acme Corp"        # at once (a legal request): runs the purge job here
 *
 * An organization is named by `--org` (its name) or `--id`; only an archived one can be held,
 * released, restored or purged. It uses the same settings as the functions (MONGODB_URI or
 * MONGODB_SECRET_ID, MASTER_DB_NAME, TENANT_DB_NAME, OPERATION_LEASE_SECONDS, ARCHIVE_RETENTION_DAYS).
 * Prints one JSON line; exits 1 with `code: message` when the service refuses, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { organizations } from '#core/app.ts';
import { AppError } from '#core/errors.ts';
import { closeMongoClient } from '#core/mongo/client.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { isOnLegalHold, type Organization } from '#core/orgs/model.ts';

const ACTIONS = ['status', 'restore', 'hold', 'release', 'purge'] as const;
type Action = (typeof ACTIONS)[number];

const help = `usage: org-lifecycle (${ACTIONS.join('|')}) (--org <name> | --id <organization id>)`;

/** What the script prints of an organization: its lifecycle state, never its people or data. */
function stateOf(org: Organization) {
  return {
    organization_id: org.id,
    organization_name: org.name,
    status: org.status,
    ...(org.archive
      ? {
          archived_at: org.archive.archivedAt.toISOString(),
          archived_by: org.archive.archivedBy,
          purge_after: org.archive.purgeAfter.toISOString(),
          legal_hold: isOnLegalHold(org),
        }
      : {}),
    ...(org.purge ? { purge: { started_at: org.purge.startedAt.toISOString(), steps_done: org.purge.done } } : {}),
  };
}

/** Runs the command; returns what to print and the exit code. */
export async function orgLifecycle(args: readonly string[]): Promise<{ out: string; code: number }> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { org: { type: 'string' }, id: { type: 'string' } },
  });
  const action = positionals[0] as Action | undefined;
  if (!action || !ACTIONS.includes(action) || positionals.length !== 1) return { out: help, code: 2 };
  if ((values.org === undefined) === (values.id === undefined)) return { out: help, code: 2 };
  const service = await organizations({ label: collectionLabel })();
  try {
    const org = await service.find(values.id !== undefined ? { id: values.id } : { name: values.org ?? '' });
    switch (action) {
      case 'status':
        return { out: JSON.stringify(stateOf(org)), code: 0 };
      case 'restore':
        return { out: JSON.stringify(stateOf(await service.restore(org.id, 'operator'))), code: 0 };
      case 'hold':
      case 'release':
        return { out: JSON.stringify(stateOf(await service.setLegalHold(org.id, action === 'hold'))), code: 0 };
      case 'purge': {
        const eventId = await service.purge(org.id, 'operator');
        return { out: JSON.stringify({ organization_id: org.id, purged: true, event_id: eventId }), code: 0 };
      }
    }
  } catch (error) {
    if (error instanceof AppError) return { out: `${error.code}: ${error.message}`, code: 1 };
    throw error;
  }
}

if (import.meta.main) {
  try {
    const { out, code } = await orgLifecycle(process.argv.slice(2));
    (code === 0 ? console.log : console.error)(out);
    process.exitCode = code;
  } finally {
    await closeMongoClient();
  }
}
