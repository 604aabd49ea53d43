import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { eventLogOn } from '#core/events/index.ts';
import { MASTER_COLLECTIONS as C } from '#core/mongo/collections.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as logoutAll } from '../../functions/admin-logout-all/handler.ts';
import { handler as auditLog } from '../../functions/audit-log/handler.ts';
import { handler as auditExport } from '../../functions/audit-log-export/handler.ts';
import { handler as acceptInvitation } from '../../functions/invitations-accept/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as removeMember } from '../../functions/members-remove/handler.ts';
import { handler as updateMember } from '../../functions/members-update/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as transfer } from '../../functions/org-transfer/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import type { TestCaller } from '../support/callers.ts';
import { masterDb, purgeNow, testClient, testPlacements, useTestDatabase } from '../support/db.ts';
import { invoke } from '../support/events.ts';
import { latestInvitationToken } from '../support/mailbox.ts';

/**
 * The event of every change, through the route handlers on the real database, read back through the
 * audit log routes: the actor (user, address, agent), the target, the data, the order; pagination,
 * filters, the export, the permission and the retention.
 */

const MAILBOX = vi.hoisted(() => {
  const dir = `${process.cwd()}/.local/test-mailbox-${process.pid}-${Math.random().toString(36).slice(2)}`;
  process.env.MAILER = 'mailbox';
  process.env.MAILBOX_DIR = dir;
  process.env.INVITE_URL_BASE = 'https://app.example/join';
  process.env.LOGIN_MAX_FAILURES_PER_EMAIL = '3';
  return dir;
});

useTestDatabase();

afterAll(async () => {
  await rm(MAILBOX, { recursive: true, force: true });
});

const PASSWORD = 'owner password';

type AuditItem = {
  id: string;
  type: string;
  sequence: number;
  organization_id: string;
  occurred_at: string;
  actor: { type: string; id?: string; ip?: string; user_agent?: string };
  target: { type: string; id: string };
  data: Record<string, unknown>;
};

async function callerOf(email: string, password: string): Promise<TestCaller> {
  const tokens = await logIn(email, password);
  const context = await authorizeToken(tokens.access_token);
  if (!context) throw new Error('the token was refused');
  return context;
}

const read = (caller: TestCaller, query: Record<string, string> = {}) =>
  invoke(auditLog, { method: 'GET', path: '/org/audit-log', caller, query });

/** Every event of the caller's organization through the audit log, page by page (newest first). */
async function readAll(caller: TestCaller, query: Record<string, string> = {}): Promise<AuditItem[]> {
  const all: AuditItem[] = [];
  let cursor: string | null = null;
  do {
    const answer = await read(caller, { limit: '3', ...query, ...(cursor ? { cursor } : {}) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    all.push(...answer.body.events);
    cursor = answer.body.next_cursor;
  } while (cursor);
  return all;
}

describe('Lifecycle events of one organization, through the routes', () => {
  it('records each change once, in order, with who did it, and the audit log pages, filters and exports them', async () => {
    // Prepare: an organization, its owner, two invited members and a set of changes.
    const created = await createOrganization('Events Acme', 'owner@events.example', PASSWORD);
    const orgId: string = created.organization_id;
    let owner = await callerOf('owner@events.example', PASSWORD);
    for (const email of ['bob@events.example', 'carol@events.example']) {
      const invited = await invoke(createInvitation, {
        method: 'POST',
        path: '/org/invitations',
        caller: owner,
        body: { email, role: 'member' },
      });
      expect(invited.status).toBe(201);
      const accepted = await invoke(acceptInvitation, {
        method: 'POST',
        path: '/invitations/accept',
        body: { token: await latestInvitationToken(MAILBOX, email), password: 'member password' },
      });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    }
    const bob = await callerOf('bob@events.example', 'member password');
    const carol = await callerOf('carol@events.example', 'member password');
    const put = (userId: string, role: string) =>
      invoke(updateMember, {
        method: 'PUT',
        path: `/org/members/${userId}`,
        params: { user_id: userId },
        caller: owner,
        body: { role },
      });
    expect((await put(bob.userId, 'admin')).status).toBe(200);
    const removed = await invoke(removeMember, {
      method: 'DELETE',
      path: `/org/members/${carol.userId}`,
      params: { user_id: carol.userId },
      caller: owner,
    });
    expect(removed.status).toBe(204);
    for (let i = 0; i < 3; i += 1) {
      const refused = await invoke(login, {
        method: 'POST',
        path: '/admin/login',
        body: { email: 'owner@events.example', password: 'wrong password' },
      });
      expect(refused.status).toBe(401);
    }
    const locked = await invoke(login, {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'owner@events.example', password: PASSWORD },
    });
    expect(locked.status).toBe(429);
    await masterDb().collection(C.loginFailures).deleteMany({}); // the lockout is over
    owner = await callerOf('owner@events.example', PASSWORD);
    const renamed = await invoke(updateOrg, {
      method: 'PUT',
      path: '/org/update',
      caller: owner,
      body: { organization_name: 'Events Acme', new_organization_name: 'Events Acme Two' },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    owner = await callerOf('owner@events.example', PASSWORD);
    const transferred = await invoke(transfer, {
      method: 'POST',
      path: '/org/transfer-ownership',
      caller: owner,
      body: { user_id: bob.userId },
    });
    expect(transferred.status).toBe(200);
    owner = await callerOf('owner@events.example', PASSWORD); // an admin now
    expect((await invoke(logoutAll, { method: 'POST', path: '/admin/logout-all', caller: owner })).status).toBe(204);
    owner = await callerOf('owner@events.example', PASSWORD);

    // Act: the whole log, three at a time.
    const events = await readAll(owner);

    // Assess: every change once, newest first, numbered without repeats.
    const types = events.map((e) => e.type).reverse();
    expect(types).toEqual([
      'organization.created',
      'login.succeeded',
      'member.invited',
      'member.joined',
      'member.invited',
      'member.joined',
      'login.succeeded',
      'login.succeeded',
      'member.role_changed',
      'member.removed',
      'login.failed',
      'login.failed',
      'login.failed',
      'login.locked_out',
      'login.succeeded',
      'organization.renamed',
      'login.succeeded',
      'ownership.transferred',
      'login.succeeded',
      'tokens.revoked',
      'login.succeeded',
    ]);
    const seqs = events.map((e) => e.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) expect(e.organization_id).toBe(orgId);

    const byType = (type: string) => events.filter((e) => e.type === type);
    const createdEvent = byType('organization.created')[0];
    expect(createdEvent).toMatchObject({
      actor: { type: 'user', id: owner.userId, ip: '127.0.0.1', user_agent: 'vitest' },
      target: { type: 'organization', id: orgId },
      data: { name: 'Events Acme', owner_id: owner.userId, owner_email: 'owner@events.example' },
    });
    expect(
      byType('member.joined')
        .map((e) => e.actor.id)
        .sort(),
    ).toEqual([bob.userId, carol.userId].sort());
    expect(byType('member.role_changed')[0]).toMatchObject({
      actor: { id: owner.userId },
      target: { type: 'user', id: bob.userId },
      data: { role: 'admin', previous_role: 'member' },
    });
    expect(byType('member.removed')[0]).toMatchObject({ target: { id: carol.userId }, data: { reason: 'removed' } });
    expect(byType('organization.renamed')[0]?.data).toEqual({ name: 'Events Acme Two', previous_name: 'Events Acme' });
    expect(byType('ownership.transferred')[0]).toMatchObject({
      target: { id: bob.userId },
      data: { previous_owner_id: owner.userId },
    });
    expect(byType('tokens.revoked')[0]?.data).toEqual({ reason: 'logout_all' });
    // Nothing secret in any event.
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
    expect(JSON.stringify(events)).not.toMatch(/\$2[aby]\$/);

    // Filters: type, actor, time.
    const logins = await readAll(owner, { type: 'login.failed,login.locked_out' });
    expect(logins.map((e) => e.type)).toEqual(['login.locked_out', 'login.failed', 'login.failed', 'login.failed']);
    const byBob = await readAll(owner, { actor: bob.userId });
    expect(byBob.map((e) => e.type)).toEqual(['login.succeeded', 'member.joined']);
    const middle = events[10] as AuditItem;
    const since = await readAll(owner, { since: middle.occurred_at });
    expect(since.every((e) => e.occurred_at >= middle.occurred_at)).toBe(true);
    const until = await readAll(owner, { until: middle.occurred_at });
    expect(until.every((e) => e.occurred_at < middle.occurred_at)).toBe(true);
    expect(since.length + until.length).toBe(events.length);

    // The export: the same events as JSON lines.
    const exported = await invoke(auditExport, { method: 'GET', path: '/org/audit-log/export', caller: owner });
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toBe('application/jsonl');
    const lines = String(exported.raw)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(events);

    // The permission: a member may not read the log (bob is the owner now; carol is gone).
    const member = { ...bob, role: 'member', permissions: 'members:read records:read records:write' };
    const refused = await read(member);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('permission_denied');

    // Bad input is a 400 that points at the parameter.
    const bad = await read(owner, { type: 'no.such_type', cursor: 'abc', since: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/cursor', '/since', '/type']);

    // Delete (an archive), then the purge: the organization's last events, kept with the rest.
    const newOwner: TestCaller = { userId: bob.userId, orgId, role: 'owner' }; // as the authorizer has it now
    const deleted = await invoke(deleteOrg, {
      method: 'DELETE',
      path: '/org/delete',
      caller: newOwner,
      query: { organization_name: 'Events Acme Two' },
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(202);
    await purgeNow(orgId);
    const stored = await masterDb().collection(C.events).find({ orgId }).sort({ seq: -1 }).limit(2).toArray();
    expect(stored[1]).toMatchObject({ type: 'organization.archived', state: 'committed', actor: { id: bob.userId } });
    expect(stored[0]).toMatchObject({ type: 'organization.purged', state: 'committed', actor: { type: 'system' } });
  });
});

describe('Retention', () => {
  it('stops showing an event once it is older than the retention, whether or not the server has removed it', async () => {
    const clock = { t: Date.parse('2026-03-01T00:00:00Z') };
    const stores = mongoOrgStores(testClient(), masterDb().databaseName, testPlacements());
    const events = eventLogOn(stores, { retentionMs: 60_000, now: () => new Date(clock.t) });
    const orgId = '0123456789abcdef0123abcd';
    await events.record({ orgId, type: 'plan.changed', target: { type: 'organization', id: orgId }, data: { plan: 'pro' } });

    expect((await events.page(orgId, {}, 10)).items).toHaveLength(1);
    clock.t += 60_001;
    expect((await events.page(orgId, {}, 10)).items).toHaveLength(0);
  });
});
