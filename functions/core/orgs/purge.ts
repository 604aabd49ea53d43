import { AppError, ConflictError } from '../errors.ts';
import { newEventId } from '../events/log.ts';
import type { Job } from '../jobs/model.ts';
import { type JobHandler, PermanentJobError, type StepOutcome } from '../jobs/runner.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import type { OrgContext } from './context.ts';
import { notFound } from './context.ts';
import { isOnLegalHold, type Organization, type Placement, type PurgeProgress } from './model.ts';
import { countPeopleOf, removePeopleOf } from './people.ts';

/**
 * The purge of an archived organization: everything it has goes, and `organization.purged` records
 * what went. A purge is a list of steps, each bounded (one or a few commands) and idempotent, with the
 * names of the steps done kept on the organization document (`purge.done`), which is removed last: a
 * run that stops anywhere (a crash, a timeout, a failed command) is resumed by the next run, from the
 * step after the last one recorded, and two runs at once only repeat idempotent work.
 *
 * A purge runs as a job of kind `purge` (`#core/jobs/`): {@link purgeJobHandler}'s step is
 * {@link purgeStep}; the job's id is derived from the purge's event id, so asking twice for the purge
 * of an organization finds the one job.
 *
 * The steps: `counted` (count every document, place and user the purge will remove, before removing
 * anything, and begin `organization.purged` with those counts), `sessions`, `people` (users who
 * belong to no other organization, memberships, custom roles), `data` (the organization data store's
 * collections: invitations, webhooks, usage, meters, plan changes...),
 * `places` (drop the organization's collection or database), `names` (release its name claims); then
 * the lock and the document go and the event is committed. The event log itself stays: it is the
 * audit trail, the purge record among it, and expires with the stage's event retention.
 */

/** 409 `legal_hold`: the organization is on legal hold; release it first. */
export const onLegalHold = () =>
  new ConflictError('legal_hold', 'The organization is on legal hold: it cannot be purged until the hold is released.');

/** 409 `not_archived`: only an archived organization can be purged (delete it first). */
export const notArchived = () =>
  new ConflictError('not_archived', 'Only an archived organization can be purged; delete it first.');

/** Why a purge runs: the operator asked (`operator`) or the retention window passed (`retention`). */
export type PurgeReason = PurgeProgress['reason'];

/** What one {@link purgeStep} did: more to do (with how far it is), or done. */
export type PurgeStepResult =
  | { readonly done: false; readonly progress: { readonly step: string; readonly stepsDone: number; readonly steps: number } }
  | { readonly done: true; readonly result: { readonly orgId: string; readonly eventId?: string } };

/** The counts `organization.purged` carries: what the purge removes, counted before it removes anything. */
export interface PurgeCounts {
  /** Documents per master collection (only collections that held some). */
  readonly documents: Readonly<Record<string, number>>;
  /** Each place dropped, with the documents it held. */
  readonly places: readonly { readonly database: string; readonly collection: string; readonly documents: number }[];
  readonly places_dropped: number;
  /** Users removed because they belonged to no other organization. */
  readonly users_removed: number;
}

interface Step {
  readonly name: string;
  readonly run: (org: Organization, purge: PurgeProgress) => Promise<void>;
}

/**
 * The places a purge drops: the organization's, both of a rename or move it was in, and those a
 * committed operation left owed (see `./owed.ts`), so the purge record counts every one.
 */
function placesOf(org: Organization): Placement[] {
  const op = org.operation;
  return [
    org.placement,
    ...(op && (op.kind === 'rename' || op.kind === 'move') ? [op.from, op.to] : []),
    ...(org.owed?.places ?? []),
  ];
}

function stepsOf(ctx: OrgContext): Step[] {
  const s = ctx.stores;
  return [
    {
      name: 'counted',
      run: async (org, purge) => {
        const counts = await countEverything(ctx, org);
        // Begun under its id: a repeat of this step finds the event the first run began, whose counts stand.
        await ctx.events.begin({
          id: purge.eventId,
          orgId: org.id,
          type: 'organization.purged',
          actor: { type: 'system' },
          target: { type: 'organization', id: org.id },
          data: { name: org.name, reason: purge.reason, archived_at: org.archive?.archivedAt.toISOString(), ...counts },
        });
      },
    },
    { name: 'sessions', run: (org) => s.sessions.removeByOrg(org.id) },
    { name: 'people', run: (org) => removePeopleOf(ctx, org.id, { withCreator: true }) },
    {
      // One command per collection, a dozen at most: bounded, and each idempotent.
      name: 'data',
      run: async (org) => {
        for (const collection of s.orgData.collections) await s.orgData.remove(collection, org.id);
      },
    },
    {
      name: 'places',
      run: async (org) => {
        for (const place of placesOf(org)) await s.tenants.drop(place);
      },
    },
    { name: 'names', run: (org) => s.names.releaseAllOf(org.id) },
  ];
}

async function countEverything(ctx: OrgContext, org: Organization): Promise<PurgeCounts> {
  const s = ctx.stores;
  const documents: Record<string, number> = {};
  for (const collection of s.orgData.counted) {
    const n = await s.orgData.count(collection, org.id);
    if (n > 0) documents[collection] = n;
  }
  const places = [];
  for (const place of placesOf(org)) {
    places.push({ database: place.database, collection: place.collection, documents: await s.orgData.countPlace(place) });
  }
  const users = await countPeopleOf(ctx, org.id, { withCreator: true });
  return { documents, places, places_dropped: places.length, users_removed: users };
}

/**
 * Begins the purge of an archived organization: `archived` to `purging`, under its lock, with the
 * purge's event id and reason recorded. A purge already begun is returned as it is.
 *
 * `retention` purges only once the window has passed; both refuse an organization on legal hold.
 *
 * @returns the organization, `purging`.
 * @throws NotFoundError `organization_not_found` (404) when it does not exist.
 * @throws ConflictError `not_archived`, `legal_hold`, `operation_in_progress` (409);
 *   `restore_window_open` (409) for a `retention` purge before the window has passed.
 */
export async function startPurge(ctx: OrgContext, orgId: string, reason: PurgeReason): Promise<Organization> {
  const found = await ctx.stores.orgs.findById(orgId);
  if (!found) throw notFound();
  if (found.status === 'purging') return found;
  return ctx.locks.hold(orgId, 'delete', async () => {
    const org = await ctx.stores.orgs.findById(orgId);
    if (!org) throw notFound();
    if (org.status === 'purging') return org;
    if (org.status !== 'archived' || !org.archive) throw notArchived();
    if (isOnLegalHold(org)) throw onLegalHold();
    if (reason === 'retention' && ctx.now() < org.archive.purgeAfter) {
      throw new ConflictError(
        'restore_window_open',
        `The organization may still be restored until ${org.archive.purgeAfter.toISOString()}.`,
      );
    }
    const purge: PurgeProgress = { startedAt: ctx.now(), eventId: newEventId(), reason, done: [] };
    const marked = await ctx.stores.orgs.transition(orgId, ['archived'], { status: 'purging', purge });
    if (!marked) throw notArchived(); // restored meanwhile (it cannot be: we hold the lock), or gone
    log.info('purge begun', { orgId, reason });
    return marked;
  });
}

/**
 * Runs the next step of a begun purge and records it done; bounded (one step) and idempotent, so a
 * job runner may call it again after any failure. Done when the organization is gone.
 *
 * @throws ConflictError `not_archived` (409) when the purge was never begun (see {@link startPurge}).
 * @throws a store failure; the step is run again next time.
 */
export async function purgeStep(ctx: OrgContext, orgId: string): Promise<PurgeStepResult> {
  const org = await ctx.stores.orgs.findById(orgId);
  if (!org) return { done: true, result: { orgId } };
  const purge = org.purge;
  if (org.status !== 'purging' || !purge) throw notArchived();
  const steps = stepsOf(ctx);
  const next = steps.find((step) => !purge.done.includes(step.name));
  if (!next) {
    await finish(ctx, org, purge);
    return { done: true, result: { orgId, eventId: purge.eventId } };
  }
  await next.run(org, purge);
  const done = [...purge.done, next.name];
  // Two runs at once may record their progress over each other: a step then runs again, harmlessly.
  await ctx.stores.orgs.transition(orgId, ['purging'], { purge: { ...purge, done }, updatedAt: ctx.now() });
  return { done: false, progress: { step: next.name, stepsDone: done.length, steps: steps.length + 1 } };
}

async function finish(ctx: OrgContext, org: Organization, purge: PurgeProgress): Promise<void> {
  await ctx.stores.locks.release(org.id);
  await ctx.stores.orgs.remove(org.id);
  // Gone: the event stands (a crash before this line leaves it pending, and the reconciler commits it).
  await ctx.events.commit(purge.eventId);
  metrics.count('organizationPurged');
  log.info('purge done', { orgId: org.id, eventId: purge.eventId });
}

/** The id of the job that runs `purge`: its event id's 24 hex digits (one job per purge). */
export const purgeJobId = (purge: PurgeProgress): string => purge.eventId.replace(/^evt_/, '');

/**
 * Begins the purge (if need be) and makes sure its job exists and will run: started when missing (a
 * run that stopped between the two), queued again when it had failed for good. Bounded: no step runs here.
 *
 * @returns the purge's job.
 * @throws as {@link startPurge}; a store failure (nothing lost: a repeat goes on from here).
 */
export async function requestPurge(ctx: OrgContext, orgId: string, reason: PurgeReason): Promise<Job> {
  const org = await startPurge(ctx, orgId, reason);
  if (!org.purge) throw notArchived();
  const id = purgeJobId(org.purge);
  const job = await ctx.jobs.get(id);
  if (!job) {
    try {
      return await ctx.jobs.start({ id, kind: 'purge', orgId, params: { reason: org.purge.reason } });
    } catch (error) {
      // Another caller (a second reconciler, the operator's script) started it first: its id is the purge's.
      const started = await ctx.jobs.get(id);
      if (started) return started;
      throw error;
    }
  }
  if (job.state === 'failed') return (await ctx.jobs.retry(id)) ?? job;
  return job;
}

/**
 * Begins a purge and runs its job here to its end (the operator's script: a legal request purges at
 * once). A worker woken meanwhile meets a job this run holds, or one already done.
 *
 * @returns the id of the `organization.purged` event.
 * @throws as {@link startPurge}; an error when the job failed (its `lastError` says why; run it again).
 */
export async function purgeOrganization(ctx: OrgContext, orgId: string, reason: PurgeReason): Promise<string> {
  const job = await requestPurge(ctx, orgId, reason);
  for (;;) {
    const outcome = await ctx.jobs.work(job.id);
    if (outcome === 'succeeded' || outcome === 'gone') break;
    if (outcome === 'failed' || outcome === 'cancelled') {
      const ended = await ctx.jobs.get(job.id);
      throw new Error(`The purge job ${job.id} ${outcome}: ${ended?.lastError?.message ?? 'no reason recorded'}`);
    }
    if (outcome === 'retrying' || outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (await ctx.stores.orgs.findById(orgId)) throw new Error(`The purge job ${job.id} ended but the organization is still there`);
  return `evt_${job.id}`;
}

/**
 * The `purge` job kind: each step is one {@link purgeStep}; a purge not yet begun is begun first. Not
 * cancellable once begun (the data is going); a refusal that lasts (legal hold, not archived) fails
 * the job at once.
 */
export function purgeJobHandler(ctx: OrgContext): JobHandler {
  return {
    kind: 'purge',
    cancellable: () => false,
    step: async (job): Promise<StepOutcome> => {
      try {
        const org = await ctx.stores.orgs.findById(job.orgId);
        if (org?.status === 'archived') {
          const reason = job.params.reason === 'operator' ? 'operator' : 'retention';
          await startPurge(ctx, job.orgId, reason);
          return { done: false, progress: { step: 'begun', stepsDone: 0 } };
        }
        const result = await purgeStep(ctx, job.orgId);
        return result.done ? { done: true, result: { ...result.result } } : { done: false, progress: { ...result.progress } };
      } catch (error) {
        if (error instanceof ConflictError && error.code !== 'operation_in_progress') {
          throw new PermanentJobError(error.code, error.message);
        }
        if (error instanceof AppError && error.name === 'NotFoundError') throw new PermanentJobError(error.code, error.message);
        throw error;
      }
    },
  };
}

/** How many archived organizations one reconcile run looks at. */
const PURGE_BATCH = 100;

/**
 * Purges every organization whose retention window has passed and that is not on legal hold, and
 * makes sure every begun purge has its job. `run` purges one (by default {@link requestPurge}: begun,
 * and its job started; a test may pass one that runs it at once). One failure does not stop the others.
 *
 * @returns how many purges were run (or handed on) and the failures (organization id and error).
 * @throws a store failure of the listing.
 */
export async function purgeDue(
  ctx: OrgContext,
  run: (orgId: string) => Promise<unknown> = (orgId) => requestPurge(ctx, orgId, 'retention'),
): Promise<{ purged: number; failures: { orgId: string; error: string }[] }> {
  const report = { purged: 0, failures: [] as { orgId: string; error: string }[] };
  const now = ctx.now();
  for (const org of await ctx.stores.orgs.listPurgeDue(now, PURGE_BATCH)) {
    const due = org.status === 'purging' || (org.archive && !isOnLegalHold(org) && now >= org.archive.purgeAfter);
    if (!due) continue;
    try {
      await run(org.id);
      report.purged += 1;
    } catch (error) {
      if (error instanceof ConflictError) continue; // held, restored or locked meanwhile
      const fields = errorFields(error);
      log.error('purge stopped; the next run resumes it', { orgId: org.id, ...fields });
      report.failures.push({ orgId: org.id, error: `${fields.errorName}: ${fields.errorMessage ?? ''}` });
    }
  }
  return report;
}

/**
 * Puts an archived organization on legal hold (`on`), or releases it: no purge runs while it is on.
 *
 * @returns the organization afterwards.
 * @throws NotFoundError (404) when it is not archived; ConflictError `purge_in_progress` (409) once its purge began.
 */
export async function setLegalHold(ctx: OrgContext, orgId: string, on: boolean): Promise<Organization> {
  return ctx.locks.hold(orgId, 'update', async () => {
    const org = await ctx.stores.orgs.findById(orgId);
    if (!org?.archive) throw notFound();
    if (org.status === 'purging') throw new ConflictError('purge_in_progress', 'The purge has begun; it cannot be held now.');
    // On the organization, not its archive: a restore keeps it.
    const held = await ctx.stores.orgs.transition(orgId, ['archived'], { legalHold: on ? true : null, updatedAt: ctx.now() });
    if (!held) throw notFound();
    log.info(on ? 'legal hold set' : 'legal hold released', { orgId });
    return held;
  });
}
