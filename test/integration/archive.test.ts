import { ObjectId } from 'mongodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { OrganizationService } from '#core/orgs/service.ts';
import type { OrgStores } from '#core/orgs/stores.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';
import { orgLifecycle } from '../../bin/org-lifecycle.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as me } from '../../functions/me/handler.ts';
import { handler as restore } from '../../functions/me-organizations-restore/handler.ts';
import { handler as meSwitch } from '../../functions/me-switch/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as leaveOrg } from '../../functions/org-leave/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { eventProblems, masterDb, placeCollection, placeExists, testClient, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { addMember } from '../support/members.ts';

/**
 * The organization lifecycle after a delete, on the real database through the real handlers: the
 * archive (members refused at once, name reserved, data kept), the owner's restore (everything back),
 * the window (restore refused after it), the purge (everything removed, counted exactly in
 * `organization.purged`), the operator's immediate purge, and legal hold.
 */

// Every token check asks the database, so a change shows at the next request (the bound itself is
// revocation-bound.test.ts's).
vi.hoisted(() => {
  process.env.REVOCATION_CACHE_SECONDS = '0';
});

useTestDatabase();

const password = 'archive password 1';
let stores: OrgStores;

beforeAll(() => {
  stores = mongoOrgStores(
    testClient(),
    process.env.MASTER_DB_NAME ?? '',
    new PlacementPolicy(process.env.TENANT_DB_NAME ?? '', 'collection'),
  );
});

/** The organization service as the reconciler and the operator script use it, over the real stores. */
const service = () =>
  new OrganizationService({
    stores,
    hasher: createPasswordHasher(4),
    placements: new PlacementPolicy(process.env.TENANT_DB_NAME ?? '', 'collection', collectionLabel),
    leaseMs: 60_000,
  });

/** Reconciles as the scheduled function does, then works the purge jobs it queued (as the worker would). */
async function reconcileAndWork() {
  const svc = service();
  const report = await svc.reconcile();
  for (const job of await svc.jobs.list(100, ['queued'])) await svc.jobs.work(job.id);
  return report;
}

type Context = NonNullable<Awaited<ReturnType<typeof authorizeToken>>> & { organization?: 'archived' };

async function ownerOf(name: string, email: string) {
  const created = await createOrganization(name, email, password);
  const tokens = await logIn(email, password);
  const caller = await authorizeToken(tokens.access_token);
  if (!caller) throw new Error('token refused');
  return { orgId: created.organization_id as string, tokens, caller, email };
}

const del = (caller: Context, name: string) =>
  invoke(deleteOrg, { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: name } });
const list = (caller: Context) => invoke(listRecords, { method: 'GET', path: '/org/records', caller });
const add = (caller: Context, data: Record<string, unknown>) =>
  invoke(createRecord, { method: 'POST', path: '/org/records', caller, body: { data } });
const refreshWith = (token: string) =>
  invoke(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: token } });
const restoreAs = (caller: Context, orgId: string) =>
  invoke(restore, { method: 'POST', path: '/me/organizations/restore', caller, body: { organization_id: orgId } });
const orgDoc = (orgId: string) =>
  masterDb()
    .collection(C.organizations)
    .findOne({ _id: new ObjectId(orgId) });
const eventsOf = (orgId: string, type: string) => masterDb().collection(C.events).find({ orgId, type }).toArray();

describe('Deleting an organization archives it', () => {
  it('answers 202 with the end of the window; members lose access at once; the name stays reserved; the data stays', async () => {
    const owner = await ownerOf('Archive One', 'owner@archive-one.example');
    await addMember(owner.orgId, 'member@archive-one.example', 'admin', password);
    const member = await logIn('member@archive-one.example', password);
    const memberCaller = await authorizeToken(member.access_token);
    if (!memberCaller) throw new Error('member token refused');
    for (const n of [1, 2, 3]) expect((await add(owner.caller, { n })).status).toBe(201);
    const before = (await list(owner.caller)).body.records;

    const answer = await del(owner.caller, 'Archive One');

    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ archived: true, organization_name: 'Archive One', purge_after: expect.any(String) });
    const days = (Date.parse(answer.body.purge_after) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    // The tokens: marked by the authorizer, refused on every organization route, refresh refused.
    const ownerNow = await authorizeToken(owner.tokens.access_token);
    const memberNow = await authorizeToken(member.access_token);
    expect(ownerNow).toMatchObject({ organization: 'archived' });
    expect(memberNow).toMatchObject({ organization: 'archived' });
    for (const caller of [ownerNow, memberNow] as Context[]) {
      const refused = await list(caller);
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('organization_archived');
      expect((await add(caller, { late: true })).body.code).toBe('organization_archived');
      expect((await invoke(leaveOrg, { method: 'POST', path: '/org/leave', caller })).body.code).toBe('organization_archived');
    }
    // A retry of the delete (its answer was lost) answers as the archive did, with the marked token.
    const again = await del(ownerNow as Context, 'Archive One');
    expect(again.status).toBe(202);
    expect(again.body).toEqual(answer.body);
    expect((await refreshWith(owner.tokens.refresh_token)).status).toBe(401);
    expect((await refreshWith(member.refresh_token)).status).toBe(401);
    // Login: the member (no other organization, not an owner) is refused; the owner gets a restore-only session.
    expect(
      (await invoke(login, { method: 'POST', path: '/admin/login', body: { email: 'member@archive-one.example', password } }))
        .status,
    ).toBe(401);
    // The name: reserved; the public read says it is gone.
    const taken = await invoke(createOrg, {
      method: 'POST',
      path: '/org/create',
      body: { organization_name: 'ARCHIVE one', email: 'someone@else.example', password },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('organization_name_taken');
    expect((await invoke(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: 'Archive One' } })).status).toBe(
      404,
    );
    // The data: all there.
    const doc = await orgDoc(owner.orgId);
    expect(doc).toMatchObject({ status: 'archived', archive: { archivedBy: owner.caller.userId } });
    expect(await placeCollection(doc?.placement).countDocuments()).toBe(3);
    expect(
      await masterDb()
        .collection(C.memberships)
        .countDocuments({ orgId: new ObjectId(owner.orgId) }),
    ).toBe(2);
    expect(
      await masterDb()
        .collection(C.admins)
        .countDocuments({ email: /archive-one/ }),
    ).toBe(2);
    expect((await eventsOf(owner.orgId, 'organization.archived')).map((e) => e.state)).toEqual(['committed']);

    // The owner restores it with the token they had (an account route).
    const restored = await restoreAs(ownerNow as Context, owner.orgId);
    expect(restored.status).toBe(200);
    expect(restored.body).toEqual({ restored: true, organization_id: owner.orgId, organization_name: 'Archive One' });
    const back = (await authorizeToken(member.access_token)) as Context | null;
    expect(back?.organization || undefined).toBeUndefined();
    expect((await list(back as Context)).body.records).toEqual(before);
    // The refresh refused while it was archived spent that refresh token: its session ends; a login starts anew.
    expect((await refreshWith(member.refresh_token)).status).toBe(401);
    expect((await logIn('member@archive-one.example', password)).organization_id).toBe(owner.orgId);
    expect((await eventsOf(owner.orgId, 'organization.restored')).map((e) => e.state)).toEqual(['committed']);
    expect((await eventProblems()).problems).toEqual([]);
  });

  it('lets an owner of nothing else log in to restore, lists it on /me, and refuses a member who is not an owner', async () => {
    const owner = await ownerOf('Archive Two', 'owner@archive-two.example');
    const other = await ownerOf('Archive Other', 'owner@archive-other.example');
    expect((await del(owner.caller, 'Archive Two')).status).toBe(202);

    const signedIn = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'owner@archive-two.example', password },
    });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ organization_id: owner.orgId, organization_archived: true, organizations: [] });
    const caller = (await authorizeToken(signedIn.body.access_token)) as Context;
    expect(caller).toMatchObject({ organization: 'archived' });
    expect((await list(caller)).body.code).toBe('organization_archived');
    expect((await refreshWith(signedIn.body.refresh_token)).status).toBe(401);
    const profile = await invoke(me, { method: 'GET', path: '/me', caller });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({
      organization_archived: true,
      organizations: [],
      archived_organizations: [
        { organization_id: owner.orgId, organization_name: 'Archive Two', purge_after: expect.any(String), legal_hold: false },
      ],
    });
    // No switch into it, and nobody else restores it.
    const switched = await invoke(meSwitch, {
      method: 'POST',
      path: '/me/switch',
      caller: other.caller,
      body: { organization_id: owner.orgId },
    });
    expect(switched.status).toBe(403);
    const stranger = await restoreAs(other.caller, owner.orgId);
    expect(stranger.status).toBe(404);
    expect(stranger.body.code).toBe('archived_organization_not_found');

    expect((await restoreAs(caller, owner.orgId)).status).toBe(200);
    // The same access token now acts on the organization again; a login lists it as live.
    expect((await list((await authorizeToken(signedIn.body.access_token)) as Context)).status).toBe(200);
    expect((await logIn('owner@archive-two.example', password)).organization_id).toBe(owner.orgId);
  });

  it('refuses a restore after the window with 409 restore_window_closed', async () => {
    const owner = await ownerOf('Archive Late', 'owner@archive-late.example');
    expect((await del(owner.caller, 'Archive Late')).status).toBe(202);
    await masterDb()
      .collection(C.organizations)
      .updateOne({ _id: new ObjectId(owner.orgId) }, { $set: { 'archive.purgeAfter': new Date(Date.now() - 1_000) } });

    const late = await restoreAs((await authorizeToken(owner.tokens.access_token)) as Context, owner.orgId);

    expect(late.status).toBe(409);
    expect(late.headers['content-type']).toBe('application/problem+json');
    expect(late.body.code).toBe('restore_window_closed');
    expect(await orgDoc(owner.orgId)).toMatchObject({ status: 'archived' });
  });
});

describe('Purging an archived organization', () => {
  /** An organization with records, a member, a custom role, an invitation, and its owner's session. */
  async function furnished(name: string, email: string) {
    const owner = await ownerOf(name, email);
    await addMember(owner.orgId, `member@${email.split('@')[1]}`, 'member', password);
    await logIn(`member@${email.split('@')[1]}`, password);
    for (const n of [1, 2, 3, 4]) expect((await add(owner.caller, { n })).status).toBe(201);
    const invited = await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: owner.caller,
      body: { email: `invitee@${email.split('@')[1]}`, role: 'member' },
    });
    expect(invited.status).toBe(201);
    const doc = await orgDoc(owner.orgId);
    return { ...owner, placement: doc?.placement };
  }

  it('purges after the window, by the reconciler: everything goes, counted exactly before it went', async () => {
    const org = await furnished('Purge Due', 'owner@purge-due.example');
    const bystander = await ownerOf('Purge Bystander', 'owner@purge-bystander.example');
    expect((await del(org.caller, 'Purge Due')).status).toBe(202);
    const oid = new ObjectId(org.orgId);
    const count = (name: string, filter: Record<string, unknown>) =>
      masterDb().collection<{ _id: unknown }>(name).countDocuments(filter);
    const expected = {
      memberships: await count(C.memberships, { orgId: oid }),
      refresh_tokens: await count(C.refreshTokens, { orgId: oid }),
      org_names: await count(C.nameClaims, { orgId: oid }),
      invitations: await count(C.invitations, { orgId: oid }),
      org_usage: await count(C.usage, { orgId: org.orgId }),
      org_meters: await count(C.meters, { _id: org.orgId }),
    };
    expect(expected).toMatchObject({ memberships: 2, org_names: 1, invitations: 1, org_meters: 1 });

    await reconcileAndWork();
    expect(await orgDoc(org.orgId)).toMatchObject({ status: 'archived' }); // the window is open
    await masterDb()
      .collection(C.organizations)
      .updateOne({ _id: oid }, { $set: { 'archive.purgeAfter': new Date(Date.now() - 1) } });
    const report = await reconcileAndWork();

    expect(report).toMatchObject({ purged: 1, failures: [] });
    expect(await orgDoc(org.orgId)).toBeNull();
    expect(await placeExists(org.placement)).toBe(false);
    expect({
      memberships: await count(C.memberships, { orgId: oid }),
      refresh_tokens: await count(C.refreshTokens, { orgId: oid }),
      org_names: await count(C.nameClaims, { orgId: oid }),
      invitations: await count(C.invitations, { orgId: oid }),
      org_usage: await count(C.usage, { orgId: org.orgId }),
      org_meters: await count(C.meters, { _id: org.orgId }),
    }).toEqual({ memberships: 0, refresh_tokens: 0, org_names: 0, invitations: 0, org_usage: 0, org_meters: 0 });
    expect(
      await masterDb()
        .collection(C.admins)
        .countDocuments({ email: /purge-due/ }),
    ).toBe(0);
    const [purged] = await eventsOf(org.orgId, 'organization.purged');
    expect(purged).toMatchObject({
      state: 'committed',
      actor: { type: 'system' },
      data: {
        name: 'Purge Due',
        reason: 'retention',
        users_removed: 2,
        places_dropped: 1,
        places: [{ database: org.placement?.database, collection: org.placement?.collection, documents: 4 }],
      },
    });
    expect(purged?.data.documents).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)));
    // The name is free again; the bystander is untouched.
    expect((await createOrganization('Purge Due', 'new-owner@purge-due.example', password)).organization_name).toBe('Purge Due');
    expect((await list(bystander.caller)).status).toBe(200);
    expect((await eventProblems()).problems).toEqual([]);
  });

  it('purges at once on the operator’s request, unless on legal hold', async () => {
    const org = await furnished('Purge Now', 'owner@purge-now.example');
    expect((await del(org.caller, 'Purge Now')).status).toBe(202);
    await reconcileAndWork(); // purges what earlier tests left due, so the count below is this organization's
    await service().setLegalHold(org.orgId, true);

    await expect(service().purge(org.orgId)).rejects.toMatchObject({ code: 'legal_hold' });
    await masterDb()
      .collection(C.organizations)
      .updateOne({ _id: new ObjectId(org.orgId) }, { $set: { 'archive.purgeAfter': new Date(Date.now() - 1) } });
    expect((await reconcileAndWork()).purged).toBe(0);
    expect(await orgDoc(org.orgId)).toMatchObject({ status: 'archived', legalHold: true });

    await service().setLegalHold(org.orgId, false);
    const eventId = await service().purge(org.orgId);

    expect(await orgDoc(org.orgId)).toBeNull();
    const [purged] = await eventsOf(org.orgId, 'organization.purged');
    expect(purged).toMatchObject({ _id: eventId, state: 'committed', data: { reason: 'operator', users_removed: 2 } });
  });
});

describe('Operator script: npm run org:lifecycle', () => {
  it('shows, holds, releases, restores and purges an archived organization', async () => {
    const owner = await ownerOf('Lifecycle Ops', 'owner@lifecycle-ops.example');
    expect(await orgLifecycle(['purge'])).toMatchObject({ code: 2 });
    expect(await orgLifecycle(['hold', '--org', 'Lifecycle Ops', '--id', owner.orgId])).toMatchObject({ code: 2 });
    expect(await orgLifecycle(['purge', '--org', 'Lifecycle Ops'])).toEqual({
      code: 1,
      out: 'not_archived: Only an archived organization can be purged; delete it first.',
    });
    expect((await del(owner.caller, 'Lifecycle Ops')).status).toBe(202);

    const status = await orgLifecycle(['status', '--org', 'Lifecycle Ops']);
    expect(status.code, status.out).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ organization_id: owner.orgId, status: 'archived', legal_hold: false });
    expect(JSON.parse((await orgLifecycle(['hold', '--id', owner.orgId])).out)).toMatchObject({ legal_hold: true });
    const refused = await orgLifecycle(['purge', '--id', owner.orgId]);
    expect(refused).toMatchObject({ code: 1, out: expect.stringMatching(/^legal_hold: /) });
    expect(JSON.parse((await orgLifecycle(['release', '--id', owner.orgId])).out)).toMatchObject({ legal_hold: false });
    // The operator restores after the window too, while no purge has begun.
    await masterDb()
      .collection(C.organizations)
      .updateOne({ _id: new ObjectId(owner.orgId) }, { $set: { 'archive.purgeAfter': new Date(Date.now() - 1) } });
    expect(JSON.parse((await orgLifecycle(['restore', '--org', 'Lifecycle Ops'])).out)).toMatchObject({ status: 'active' });
    expect((await list(owner.caller)).status).toBe(200);

    expect((await del(owner.caller, 'Lifecycle Ops')).status).toBe(202);
    const purged = await orgLifecycle(['purge', '--org', 'Lifecycle Ops']);
    expect(purged.code, purged.out).toBe(0);
    const { event_id } = JSON.parse(purged.out);
    expect(await orgDoc(owner.orgId)).toBeNull();
    const [event] = await eventsOf(owner.orgId, 'organization.purged');
    expect(event).toMatchObject({ _id: event_id, state: 'committed', data: { reason: 'operator', users_removed: 1 } });
    expect(await orgLifecycle(['status', '--id', owner.orgId])).toMatchObject({
      code: 1,
      out: expect.stringMatching(/^organization_not_found/),
    });
  });
});
