import { newEventId, userActor } from '../events/log.ts';
import { newId } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import { recoverIfAbandoned } from './abandoned.ts';
import { emailTaken, nameTaken, type OrgContext, operationInProgress } from './context.ts';
import { underLegacyKey } from './lookup.ts';
import { type Organization, toSlug } from './model.ts';
import { claimName } from './name-claims.ts';
import { addFounder, removePeopleOf } from './people.ts';

/**
 * The create operation: claim the name, insert the organization (`creating`, with a `create`
 * operation whose start is its lease), insert its admin, create its place, mark it `active`. A failed
 * step is undone at once; an abandoned create (its run died) is undone by recovery ({@link undoCreate}).
 */

/** What a sign-up gives: the organization's name and its first admin's credentials. */
export interface CreateInput {
  readonly name: string;
  readonly email: string;
  readonly password: string;
}

/**
 * Creates an organization and its admin.
 *
 * @returns the active organization and its admin's email.
 * @throws ConflictError `organization_name_taken` (409) when a live organization has a name with the same key.
 * @throws ConflictError `email_taken` (409) when a live admin has the email; the create is undone.
 * @throws ConflictError `operation_in_progress` (409) when a reconciler undid this run meanwhile.
 * @throws whatever a store throws; the create is undone (or, if the undo fails too, left for recovery).
 */
export async function createOrganization(
  ctx: OrgContext,
  input: CreateInput,
): Promise<{ org: Organization; adminEmail: string }> {
  const s = ctx.stores;
  const slug = toSlug(input.name);
  if (await underLegacyKey(ctx, input.name, slug)) throw nameTaken();
  const passwordHash = await ctx.hasher.hash(input.password); // slow; before any write
  const now = ctx.now();
  const id = newId();
  const org: Organization = {
    id,
    name: input.name,
    slug,
    status: 'creating',
    placement: ctx.placements.forNew({ slug }),
    adminId: newId(),
    createdAt: now,
    updatedAt: now,
    operation: { kind: 'create', startedAt: now, eventId: newEventId() },
  };

  const event = await ctx.events.begin(createdEvent(org, input.email));
  try {
    await claimName(ctx, slug, org.id);
  } catch (error) {
    await ctx.events.drop(event.id).catch(() => undefined); // else settled: no organization, dropped
    throw error;
  }
  let active: Organization | null;
  try {
    // The slug index backs the claim up: a deleted organization's document may linger an instant, or
    // stay behind a delete that died after releasing the name; finish that delete and try once more.
    if ((await s.orgs.insert(org)) === 'slug_taken') {
      const holder = await s.orgs.findBySlug(slug);
      if (!holder || !(await recoverIfAbandoned(ctx, holder.id)) || (await s.orgs.insert(org)) === 'slug_taken') {
        throw nameTaken();
      }
    }
    if ((await insertAdmin(ctx, org, input.email, passwordHash)) === 'email_taken') throw emailTaken();
    await addFounder(ctx, org);
    await s.tenants.create(org.placement);
    active = await s.orgs.transition(org.id, ['creating'], { status: 'active', operation: null });
    if (!active) throw operationInProgress(); // undone by a reconciler that thought this run dead
    metrics.count('organizationCreated');
  } catch (error) {
    await undoCreate(ctx, org).catch((undoError) =>
      log.error('create rollback failed; reconcile will finish it', { orgId: org.id, ...errorFields(undoError) }),
    );
    throw error;
  }
  // Created: the event's rule commits it at the reconciler's next run if this mark is lost.
  await ctx.events.commitAfter(event.id);
  return { org: active, adminEmail: input.email };
}

/** Inserts the organization's first admin; the email may belong to an abandoned half-created organization: recovered, and tried once more. */
async function insertAdmin(
  ctx: OrgContext,
  org: Organization,
  email: string,
  passwordHash: string,
): Promise<'ok' | 'email_taken'> {
  const admin = {
    id: org.adminId,
    email,
    passwordHash,
    orgId: org.id,
    tokenVersion: 0,
    createdAt: org.createdAt,
    updatedAt: org.createdAt,
  };
  const first = await ctx.stores.admins.insert(admin);
  if (first === 'ok') return first;
  const holder = await ctx.stores.admins.findByEmail(email);
  if (holder?.orgId && holder.orgId !== org.id && (await recoverIfAbandoned(ctx, holder.orgId))) {
    return ctx.stores.admins.insert(admin);
  }
  return first;
}

/**
 * Undoes a create, from wherever it stopped (every step idempotent): drops its place, removes its
 * people (see `removePeopleOf`), and, unless the organization went active meanwhile, its document and its name claims. The
 * undo of a failed step and the recovery of an abandoned create.
 *
 * @throws a store failure; the create is then left for the next recovery.
 */
export async function undoCreate(ctx: OrgContext, org: Organization): Promise<void> {
  const s = ctx.stores;
  await s.tenants.drop(org.placement);
  await removePeopleOf(ctx, org.id, { withCreator: true });
  const current = await s.orgs.findById(org.id);
  if (current && current.status === 'creating') await s.orgs.remove(org.id);
  if (!current || current.status === 'creating') await s.names.releaseAllOf(org.id);
  const eventId = org.operation?.eventId;
  if (eventId && (!current || current.status === 'creating')) await ctx.events.drop(eventId);
}

/** The `organization.created` event of `org`, whose operation carries its id; the founder is the actor. */
function createdEvent(org: Organization, email: string) {
  return {
    id: org.operation?.eventId,
    orgId: org.id,
    type: 'organization.created' as const,
    actor: userActor(org.adminId),
    target: { type: 'organization' as const, id: org.id },
    data: { name: org.name, owner_id: org.adminId, owner_email: email, placement_mode: org.placement.mode },
  };
}
