import { describe, expect, it, vi } from 'vitest';
import { handler as me } from '../../functions/me/handler.ts';
import { handler as switchOrg } from '../../functions/me-switch/handler.ts';
import { handler as listMembers } from '../../functions/members-list/handler.ts';
import { handler as removeMember } from '../../functions/members-remove/handler.ts';
import { handler as updateMember } from '../../functions/members-update/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as leave } from '../../functions/org-leave/handler.ts';
import { handler as transfer } from '../../functions/org-transfer/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { handler as createRole } from '../../functions/roles-create/handler.ts';
import { handler as deleteRole } from '../../functions/roles-delete/handler.ts';
import { handler as listRoles } from '../../functions/roles-list/handler.ts';
import { handler as updateRole } from '../../functions/roles-update/handler.ts';
import { type AuthorizerContext, authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { masterDb, purgeNow, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { addMember, signIn } from '../support/members.ts';

/**
 * Members, roles and the owner invariant through the real handlers, the real authorizer and the
 * embedded database.
 */

// Every token check asks the database, so a change shows at the next request (the bound itself is
// revocation-bound.test.ts's).
vi.hoisted(() => {
  process.env.REVOCATION_CACHE_SECONDS = '0';
});

useTestDatabase();

let n = 0;
/** A new organization and its owner's authorizer context. */
async function newOrg(label: string) {
  n += 1;
  const email = `owner${n}@${label.toLowerCase()}.example`;
  const created = await createOrganization(`${label} ${n}`, email, 'owner password');
  const { context } = await signIn({ email, password: 'owner password' });
  return { orgId: created.organization_id as string, name: `${label} ${n}`, owner: context, ownerEmail: email };
}

const changeRole = (caller: AuthorizerContext, userId: string, role: string) =>
  invoke(updateMember, { method: 'PUT', path: `/org/members/${userId}`, params: { user_id: userId }, caller, body: { role } });
const remove = (caller: AuthorizerContext, userId: string) =>
  invoke(removeMember, { method: 'DELETE', path: `/org/members/${userId}`, params: { user_id: userId }, caller });

describe('Members', () => {
  it('lists members a page at a time with their emails and roles, in a stable order', async () => {
    const org = await newOrg('Listing');
    for (let i = 0; i < 5; i++) await addMember(org.orgId, `m${i}@listing.example`);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await invoke(listMembers, {
        method: 'GET',
        path: '/org/members',
        caller: org.owner,
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      expect(page.body.members.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.members.map((m: { email: string; role: string }) => `${m.email}:${m.role}`));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual(
      [`${org.ownerEmail}:owner`, ...[0, 1, 2, 3, 4].map((i) => `m${i}@listing.example:member`)].sort(),
    );
  });

  it('lets a member read and write records but not manage members, and tells them why (403 permission_denied)', async () => {
    const org = await newOrg('Plain');
    const member = await addMember(org.orgId, 'plain@member.example');
    const { context } = await signIn(member);
    expect(context).toMatchObject({ orgId: org.orgId, role: 'member' });

    const write = await invoke(createRecord, { method: 'POST', path: '/org/records', caller: context, body: { a: 1 } });
    expect(write.status).toBe(201);
    const denied = await changeRole(context, org.owner.userId, 'member');
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: 'permission_denied' });
    const members = await invoke(listMembers, { method: 'GET', path: '/org/members', caller: context });
    expect(members.status).toBe(200);
  });

  it('keeps owner for owners: an admin cannot grant, change or remove it, nor grant a permission it lacks', async () => {
    const org = await newOrg('Ranks');
    const admin = await addMember(org.orgId, 'admin@ranks.example', 'admin');
    const other = await addMember(org.orgId, 'other@ranks.example', 'member');
    const { context: asAdmin } = await signIn(admin);

    expect((await changeRole(asAdmin, other.userId, 'owner')).body).toMatchObject({ code: 'owner_only' });
    expect((await changeRole(asAdmin, org.owner.userId, 'member')).body).toMatchObject({ code: 'owner_only' });
    expect((await remove(asAdmin, org.owner.userId)).body).toMatchObject({ code: 'owner_only' });
    expect((await changeRole(asAdmin, other.userId, 'admin')).status).toBe(200);

    // A custom role with a permission the admin lacks cannot be made, or given, by the admin.
    const made = await invoke(createRole, {
      method: 'POST',
      path: '/org/roles',
      caller: asAdmin,
      body: { name: 'deleter', permissions: ['organization:delete'] },
    });
    expect(made.status).toBe(403);
    expect(made.body).toMatchObject({ code: 'role_exceeds_yours' });
  });

  it('decides on the caller’s role as it is now, not as the token says: a demoted owner cannot take ownership back', async () => {
    const org = await newOrg('Stale');
    const second = await addMember(org.orgId, 'second@stale.example', 'owner');
    const { context: asSecond } = await signIn(second);
    const staleOwner = org.owner; // the authorizer's answer from before the demotion

    expect((await changeRole(asSecond, org.owner.userId, 'admin')).status).toBe(200);

    expect((await changeRole(staleOwner, org.owner.userId, 'owner')).body).toMatchObject({ code: 'owner_only' });
    expect((await changeRole(staleOwner, second.userId, 'member')).body).toMatchObject({ code: 'owner_only' });
    const transferred = await invoke(transfer, {
      method: 'POST',
      path: '/org/transfer-ownership',
      caller: staleOwner,
      body: { user_id: second.userId },
    });
    expect(transferred.body).toMatchObject({ code: 'owner_only' });
  });

  it('lets nobody act on a member whose role holds more than their own', async () => {
    const org = await newOrg('Weaker');
    const admin = await addMember(org.orgId, 'admin@weaker.example', 'admin');
    const hr = await addMember(org.orgId, 'hr@weaker.example');
    const made = await invoke(createRole, {
      method: 'POST',
      path: '/org/roles',
      caller: org.owner,
      body: { name: 'hr', permissions: ['members:read', 'members:manage'] },
    });
    expect(made.status).toBe(201);
    expect((await changeRole(org.owner, hr.userId, 'hr')).status).toBe(200);
    const { context: asHr } = await signIn(hr);

    expect((await remove(asHr, admin.userId)).body).toMatchObject({ code: 'role_exceeds_yours' });
    expect((await changeRole(asHr, admin.userId, 'hr')).body).toMatchObject({ code: 'role_exceeds_yours' });
  });

  it('removes a user who leaves their last organization, so the email can start a new one', async () => {
    const org = await newOrg('Parting');
    const leaver = await addMember(org.orgId, 'leaver@parting.example');
    const { context } = await signIn(leaver);
    expect((await invoke(leave, { method: 'POST', path: '/org/leave', caller: context })).status).toBe(204);
    expect(await masterDb().collection('admins').countDocuments({ email: leaver.email })).toBe(0);
    await createOrganization('Fresh Start', leaver.email, 'a fresh password');
  });

  it('never leaves an organization without an owner: the last owner cannot be demoted, removed or leave', async () => {
    const org = await newOrg('Last');
    expect((await changeRole(org.owner, org.owner.userId, 'admin')).body).toMatchObject({ code: 'last_owner' });
    expect((await remove(org.owner, org.owner.userId)).body).toMatchObject({ code: 'last_owner' });
    const left = await invoke(leave, { method: 'POST', path: '/org/leave', caller: org.owner });
    expect(left.status).toBe(409);
    expect(left.body).toMatchObject({ code: 'last_owner' });
  });

  it('keeps at least one owner under 20 concurrent demotions and removals by the owners themselves', async () => {
    const org = await newOrg('Crowd');
    const owners = [org.owner];
    for (let i = 0; i < 4; i++) {
      const m = await addMember(org.orgId, `owner${i}@crowd.example`, 'owner');
      owners.push((await signIn(m)).context);
    }
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const by = owners[i % owners.length] as AuthorizerContext;
        const target = (owners[(i * 3 + 1) % owners.length] as AuthorizerContext).userId;
        return i % 2 === 0 ? changeRole(by, target, 'member') : remove(by, target);
      }),
    );
    // Unguarded, these would take all five owners away: every owner is a target.
    // An owner demoted meanwhile acts as what it is now (403 owner_only).
    for (const a of answers) expect([200, 204, 403, 404, 409]).toContain(a.status);
    const left = await masterDb()
      .collection<{ _id: string }>('memberships')
      .countDocuments({ role: 'owner', _id: { $regex: `^${org.orgId}:` } });
    expect(left).toBeGreaterThanOrEqual(1);
  });

  it('transfers ownership to a member, who is then the owner while the caller becomes an admin', async () => {
    const org = await newOrg('Handover');
    const heir = await addMember(org.orgId, 'heir@handover.example');
    const answer = await invoke(transfer, {
      method: 'POST',
      path: '/org/transfer-ownership',
      caller: org.owner,
      body: { user_id: heir.userId },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ user_id: heir.userId, role: 'owner' });
    const { context: heirContext } = await signIn(heir);
    expect(heirContext.role).toBe('owner');
    const after = await authorizeToken((await logIn(org.ownerEmail, 'owner password')).access_token);
    expect(after?.role).toBe('admin');
    // An admin may not transfer ownership.
    const back = await invoke(transfer, {
      method: 'POST',
      path: '/org/transfer-ownership',
      caller: after ?? undefined,
      body: { user_id: heir.userId },
    });
    expect(back.status).toBe(403);
  });

  it('refuses a member of A acting on B: 404 for B’s member, and B is untouched', async () => {
    const a = await newOrg('Alpha');
    const b = await newOrg('Beta');
    const bMember = await addMember(b.orgId, 'member@beta.example');
    expect((await changeRole(a.owner, bMember.userId, 'admin')).status).toBe(404);
    expect((await remove(a.owner, bMember.userId)).status).toBe(404);
    expect((await changeRole(a.owner, b.owner.userId, 'member')).status).toBe(404);
    const bMembers = await invoke(listMembers, { method: 'GET', path: '/org/members', caller: b.owner });
    expect(bMembers.body.members.map((m: { role: string }) => m.role).sort()).toEqual(['member', 'owner']);
  });

  it('ends a removed member’s access and refresh, and lets them keep their other organizations', async () => {
    const a = await newOrg('Keep');
    const b = await newOrg('Lose');
    const user = await addMember(a.orgId, 'both@orgs.example');
    await addMember(b.orgId, 'both@orgs.example', 'member', user.password);
    const inB = await signIn(user, b.orgId);
    const tokens = await logIn(user.email, user.password);
    expect(tokens).toMatchObject({
      organizations: expect.arrayContaining([expect.objectContaining({ organization_id: b.orgId })]),
    });

    expect((await remove(b.owner, user.userId)).status).toBe(204);
    // The container's authorizer cache is off in tests: the next check already refuses.
    expect(await authorizeToken(inB.token)).toBeNull();
    const profile = await invoke(me, { method: 'GET', path: '/me', caller: (await signIn(user)).context });
    expect(profile.body.organizations.map((o: { organization_id: string }) => o.organization_id)).toEqual([a.orgId]);
  });

  it('switches the active organization with a token, and refuses an organization the caller is not in', async () => {
    const a = await newOrg('Home');
    const b = await newOrg('Away');
    const c = await newOrg('Elsewhere');
    const user = await addMember(a.orgId, 'traveller@orgs.example');
    await addMember(b.orgId, user.email, 'admin', user.password);
    const { context } = await signIn(user);
    const switched = await invoke(switchOrg, {
      method: 'POST',
      path: '/me/switch',
      caller: context,
      body: { organization_id: b.orgId },
    });
    expect(switched.status).toBe(200);
    expect(switched.body).toMatchObject({ organization_id: b.orgId, role: 'admin' });
    expect(await authorizeToken(switched.body.access_token)).toMatchObject({ orgId: b.orgId, role: 'admin' });
    const refused = await invoke(switchOrg, {
      method: 'POST',
      path: '/me/switch',
      caller: context,
      body: { organization_id: c.orgId },
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'not_a_member' });
  });

  it('purges an organization’s members with it (not at its archive), but not users who belong elsewhere', async () => {
    const a = await newOrg('Stays');
    const b = await newOrg('Goes');
    const shared = await addMember(a.orgId, 'shared@orgs.example');
    await addMember(b.orgId, shared.email, 'member', shared.password);
    const only = await addMember(b.orgId, 'only@goes.example');
    const gone = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller: b.owner,
      query: { organization_name: b.name },
    });
    expect(gone.status).toBe(202);
    // Archived: everyone is still there (the owner may log in to restore it).
    expect(await masterDb().collection('admins').countDocuments({ email: only.email })).toBe(1);
    await purgeNow(b.orgId);
    expect(
      await masterDb()
        .collection<{ _id: string }>('memberships')
        .countDocuments({ _id: { $regex: `^${b.orgId}:` } }),
    ).toBe(0);
    expect(await masterDb().collection('admins').countDocuments({ email: only.email })).toBe(0);
    expect((await logIn(shared.email, shared.password)).organization_id).toBe(a.orgId);
  });
});

describe('Roles', () => {
  it('creates a custom role, gives it to a member, and its permissions (and their change) reach the member’s token', async () => {
    const org = await newOrg('Custom');
    const reader = await addMember(org.orgId, 'reader@custom.example');
    const made = await invoke(createRole, {
      method: 'POST',
      path: '/org/roles',
      caller: org.owner,
      body: { name: 'reader', description: 'Reads records', permissions: ['records:read'] },
    });
    expect(made.status).toBe(201);
    expect((await changeRole(org.owner, reader.userId, 'reader')).status).toBe(200);

    let { context } = await signIn(reader);
    expect(context).toMatchObject({ role: 'reader', permissions: 'records:read' });
    expect((await invoke(listRecords, { method: 'GET', path: '/org/records', caller: context })).status).toBe(200);
    expect((await invoke(createRecord, { method: 'POST', path: '/org/records', caller: context, body: {} })).status).toBe(403);

    const changed = await invoke(updateRole, {
      method: 'PUT',
      path: '/org/roles/reader',
      params: { name: 'reader' },
      caller: org.owner,
      body: { permissions: ['records:read', 'records:write'] },
    });
    expect(changed.status).toBe(200);
    ({ context } = await signIn(reader));
    expect((await invoke(createRecord, { method: 'POST', path: '/org/records', caller: context, body: {} })).status).toBe(201);

    const roles = await invoke(listRoles, { method: 'GET', path: '/org/roles', caller: org.owner });
    expect(roles.body.roles.map((r: { name: string }) => r.name)).toEqual(['owner', 'admin', 'member', 'reader']);
  });

  it('refuses to delete a role in use or a built-in role, and to make a role under a built-in name or twice', async () => {
    const org = await newOrg('Roles');
    const holder = await addMember(org.orgId, 'holder@roles.example');
    const body = { name: 'auditor', permissions: ['members:read'] };
    expect((await invoke(createRole, { method: 'POST', path: '/org/roles', caller: org.owner, body })).status).toBe(201);
    expect((await invoke(createRole, { method: 'POST', path: '/org/roles', caller: org.owner, body })).body).toMatchObject({
      code: 'role_exists',
    });
    const builtIn = await invoke(createRole, {
      method: 'POST',
      path: '/org/roles',
      caller: org.owner,
      body: { ...body, name: 'admin' },
    });
    expect(builtIn.body).toMatchObject({ code: 'role_exists' });
    await changeRole(org.owner, holder.userId, 'auditor');
    const del = (name: string) =>
      invoke(deleteRole, { method: 'DELETE', path: `/org/roles/${name}`, params: { name }, caller: org.owner });
    expect((await del('auditor')).body).toMatchObject({ code: 'role_in_use' });
    expect((await del('member')).body).toMatchObject({ code: 'built_in_role' });
    await changeRole(org.owner, holder.userId, 'member');
    expect((await del('auditor')).status).toBe(204);
    expect((await changeRole(org.owner, holder.userId, 'auditor')).body).toMatchObject({ code: 'unknown_role' });
  });
});
