import { rm } from 'node:fs/promises';
import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MASTER_COLLECTIONS } from '#core/mongo/collections.ts';
import { orgPlan } from '../../bin/org-plan.ts';
import { orgUsage } from '../../bin/org-usage.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as acceptAsUser } from '../../functions/me-invitations-accept/handler.ts';
import { handler as orgUsageRoute } from '../../functions/org-usage/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as deleteRecord } from '../../functions/records-delete/handler.ts';
import { handler as getRecord } from '../../functions/records-get/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { handler as listRoles } from '../../functions/roles-list/handler.ts';
import { createOrganization } from '../support/auth.ts';
import type { TestCaller } from '../support/callers.ts';
import { dropTenantDatabasesAfterAll, masterDb, useTestDatabase } from '../support/db.ts';
import { type Answer, invoke } from '../support/events.ts';
import { latestInvitationToken } from '../support/mailbox.ts';
import { addMember } from '../support/members.ts';

/**
 * Plans, rate limits, quotas and usage through the real handlers on the real database. The plans
 * here: `tiny` (2 requests per second, 5 at once: a window of 2.5 s), `small` (a fast rate, 2 records,
 * 2 members) and `premium` (everyone else). Plans are read again after PLAN_CACHE_SECONDS (1 s here).
 */

const PLAN_CACHE_SECONDS = vi.hoisted(() => {
  process.env.PLANS = JSON.stringify({
    tiny: { rateLimit: 2, burstLimit: 5, quotas: { records: 1_000, members: 100 } },
    small: { rateLimit: 100, burstLimit: 200, quotas: { records: 2, members: 2 } },
    premium: { rateLimit: 100, burstLimit: 200, quotas: { records: 10_000, members: 10_000 } },
  });
  process.env.DEFAULT_PLAN = 'premium';
  process.env.PLAN_CACHE_SECONDS = '1';
  return 1;
});

// Invitation email goes to this file's own mailbox folder, where the members test reads the secret.
const MAILBOX = vi.hoisted(() => {
  process.env.MAILBOX_DIR = `${process.cwd()}/.local/test-mailbox-limits-${process.pid}`;
  return process.env.MAILBOX_DIR;
});

/** The `tiny` plan's window: burstLimit / rateLimit seconds. */
const WINDOW_MS = 2_500;

useTestDatabase();
dropTenantDatabasesAfterAll();

interface Org {
  readonly id: string;
  readonly name: string;
  readonly owner: TestCaller;
}

let serial = 0;
async function newOrg(label: string): Promise<Org> {
  serial += 1;
  const name = `Limits ${label} ${serial}`;
  const email = `owner-${label}-${serial}@limits.example`;
  const created = await createOrganization(name, email, 'limits password');
  const owner = await masterDb().collection(MASTER_COLLECTIONS.admins).findOne({ email });
  if (!owner) throw new Error('the owner was not stored');
  return { id: created.organization_id, name, owner: { userId: owner._id.toHexString(), orgId: created.organization_id } };
}

/** Puts the organization on `plan` as the operator does, and waits until every cache has it. */
async function putOnPlan(org: Org, plan: string): Promise<void> {
  const { code, out } = await orgPlan(['--id', org.id, '--plan', plan, '--by', 'ops@limits.example']);
  expect(code, out).toBe(0);
  await sleep(PLAN_CACHE_SECONDS * 1_000 + 100);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until a fresh window of `windowMs` has just begun, so a quick run of requests falls in one window. */
async function atWindowStart(windowMs: number): Promise<void> {
  await sleep(windowMs - (Date.now() % windowMs) + 20);
}

const list = (caller: TestCaller) => invoke(listRecords, { method: 'GET', path: '/org/records', caller });
const usageOf = (caller: TestCaller, days = 1) =>
  invoke(orgUsageRoute, { method: 'GET', path: '/org/usage', caller, query: { days: String(days) } });

describe('Rate limit per organization', () => {
  let tiny: Org;
  let other: Org;

  beforeAll(async () => {
    tiny = await newOrg('tiny');
    other = await newOrg('other');
    await putOnPlan(tiny, 'tiny');
  });

  it('answers 429 problem+json with Retry-After once the window is full, before the route runs', async () => {
    await atWindowStart(WINDOW_MS);
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i += 1) answers.push(await list(tiny.owner));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = answers[5] as Answer;
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too Many Requests' });
    expect(refused.body.detail).toMatch(/plan \(tiny\) allows 2 requests per second, 5 at once/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    // A refused request does not run the route: a body the route would refuse with 400 is not read.
    const unread = await invoke(createRecord, { method: 'POST', path: '/org/records', caller: tiny.owner, rawBody: '{' });
    expect(unread.status).toBe(429);
  });

  it('limits each organization on its own: another organization is not refused meanwhile', async () => {
    await atWindowStart(WINDOW_MS);
    for (let i = 0; i < 8; i += 1) await list(tiny.owner);
    const answers: number[] = [];
    for (let i = 0; i < 8; i += 1) answers.push((await list(other.owner)).status);
    expect(answers).toEqual(Array(8).fill(200));
  });

  it('admits the organization again once its window has passed', async () => {
    await atWindowStart(WINDOW_MS);
    for (let i = 0; i < 6; i += 1) await list(tiny.owner);
    expect((await list(tiny.owner)).status).toBe(429);
    await atWindowStart(WINDOW_MS);
    expect((await list(tiny.owner)).status).toBe(200);
  });
});

describe('Plan changes', () => {
  it(`take effect within PLAN_CACHE_SECONDS (${PLAN_CACHE_SECONDS} s here), and are recorded with who made them`, async () => {
    const org = await newOrg('change');
    await atWindowStart(WINDOW_MS);
    for (let i = 0; i < 6; i += 1) expect((await list(org.owner)).status).toBe(200); // premium: room for 200
    const changed = await orgPlan(['--id', org.id, '--plan', 'tiny', '--by', 'ops@limits.example', '--reason', 'test']);
    expect(changed.code, changed.out).toBe(0);
    expect(JSON.parse(changed.out)).toEqual({
      organization_id: org.id,
      organization_name: org.name,
      from: 'premium',
      to: 'tiny',
      changed: true,
    });
    await sleep(PLAN_CACHE_SECONDS * 1_000 + 100);
    await atWindowStart(WINDOW_MS);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await list(org.owner)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const history = await orgPlan(['--id', org.id, '--history']);
    expect(history.code).toBe(0);
    const [last] = history.out.split('\n').map((line) => JSON.parse(line));
    expect(last).toMatchObject({ orgId: org.id, from: 'premium', to: 'tiny', by: 'ops@limits.example', reason: 'test' });
    const stored = await masterDb()
      .collection(MASTER_COLLECTIONS.organizations)
      .findOne({ _id: new ObjectId(org.id) });
    expect(stored?.plan).toBe('tiny');
    const events = await masterDb().collection('events').find({ orgId: org.id, type: 'plan.changed' }).toArray();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: 'committed', data: { from: 'premium', to: 'tiny', by: 'ops@limits.example' } });
  });

  it('refuses an unknown plan, an unknown organization and a change without an operator, and records nothing for no change', async () => {
    const org = await newOrg('refuse');
    expect(await orgPlan(['--id', org.id, '--plan', 'gold', '--by', 'ops'])).toMatchObject({
      code: 1,
      out: expect.stringMatching(/^unknown_plan: .*free|^unknown_plan: .*tiny/),
    });
    expect(await orgPlan(['--id', '0123456789abcdef01234567', '--plan', 'tiny', '--by', 'ops'])).toMatchObject({
      code: 1,
      out: expect.stringMatching(/^organization_not_found/),
    });
    expect((await orgPlan(['--id', org.id, '--plan', 'tiny'])).code).toBe(2);
    const same = await orgPlan(['--org', org.name, '--plan', 'premium', '--by', 'ops']);
    expect(JSON.parse(same.out)).toMatchObject({ from: 'premium', to: 'premium', changed: false });
    expect((await orgPlan(['--id', org.id, '--history'])).out).toBe('');
  });
});

describe('Quotas', () => {
  it('refuses a record past the records quota with 409 records_quota_exceeded, and counts a delete off', async () => {
    const org = await newOrg('records');
    await putOnPlan(org, 'small');
    const create = () => invoke(createRecord, { method: 'POST', path: '/org/records', caller: org.owner, body: { n: 1 } });
    const first = await create();
    expect(first.status).toBe(201);
    expect((await create()).status).toBe(201);
    const over = await create();
    expect(over.status).toBe(409);
    expect(over.headers['content-type']).toBe('application/problem+json');
    expect(over.body).toMatchObject({ code: 'records_quota_exceeded' });
    expect(over.body.detail).toMatch(/records quota .* is 2 records/);
    // Nothing was written by the refused create.
    expect((await list(org.owner)).body.records).toHaveLength(2);
    const id = first.body.id as string;
    expect(
      (await invoke(deleteRecord, { method: 'DELETE', path: `/org/records/${id}`, params: { id }, caller: org.owner })).status,
    ).toBe(204);
    expect(
      (await invoke(getRecord, { method: 'GET', path: `/org/records/${id}`, params: { id }, caller: org.owner })).status,
    ).toBe(404);
    expect((await create()).status).toBe(201);
    expect((await usageOf(org.owner)).body.records).toBe(2);
  });

  it("refuses an invitation and its acceptance past the plan's members quota (409 member_limit, naming the plan's quota)", async () => {
    const org = await newOrg('members');
    const invitee = await addMember((await newOrg('elsewhere')).id, `invitee-${serial}@limits.example`, 'owner');
    const invited = await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: org.owner,
      body: { email: invitee.email, role: 'member' },
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    await addMember(org.id, `second-${serial}@limits.example`);
    await putOnPlan(org, 'small'); // 2 members: the owner and the second
    const third = await invoke(createInvitation, {
      method: 'POST',
      path: '/org/invitations',
      caller: org.owner,
      body: { email: `third-${serial}@limits.example`, role: 'member' },
    });
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'member_limit' });
    expect(third.body.detail).toMatch(/at most 2 members \(the members quota of your organization's plan\)/);
    const invitedOrg = await masterDb()
      .collection(MASTER_COLLECTIONS.memberships)
      .findOne({ userId: new ObjectId(invitee.userId) });
    const accept = await invoke(acceptAsUser, {
      method: 'POST',
      path: '/me/invitations/accept',
      caller: { userId: invitee.userId, orgId: invitedOrg?.orgId.toHexString() ?? '' },
      body: { token: await latestInvitationToken(MAILBOX, invitee.email) },
    });
    expect(accept.status, JSON.stringify(accept.body)).toBe(409);
    expect(accept.body).toMatchObject({ code: 'member_limit' });
  });
});

describe('Usage', () => {
  it('counts exactly the requests sent, by route, served and refused, and the users who sent them', async () => {
    const org = await newOrg('usage');
    const member = await addMember(org.id, `usage-member-${serial}@limits.example`);
    const asMember: TestCaller = { userId: member.userId, orgId: org.id, role: 'member' };
    for (let i = 0; i < 4; i += 1) await list(org.owner);
    for (let i = 0; i < 3; i += 1) await list(asMember);
    for (let i = 0; i < 2; i += 1) {
      expect((await invoke(createRecord, { method: 'POST', path: '/org/records', caller: asMember, body: { i } })).status).toBe(
        201,
      );
    }
    // Refused by the member's role: still a request the organization sent.
    expect(
      (await invoke(listRoles, { method: 'GET', path: '/org/roles', caller: { ...asMember, permissions: [] } })).status,
    ).toBe(403);
    const forbidden = await usageOf(asMember);
    expect(forbidden.status).toBe(403); // usage:read is for owners and admins

    const answer = await usageOf(org.owner);
    expect(answer.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(answer.body).toMatchObject({
      organization_id: org.id,
      plan: { name: 'premium', rate_limit: 100, burst_limit: 200, quotas: { records: 10_000, members: 10_000 } },
      records: 2,
      members: 2,
    });
    expect(answer.body.days).toEqual([
      {
        day: today,
        requests: { 'records-list': 7, 'records-create': 2, 'roles-list': 1, 'org-usage': 2 },
        requests_total: 12,
        throttled: {},
        throttled_total: 0,
        active_members: 2,
      },
    ]);
    const week = await usageOf(org.owner, 7);
    expect(week.body.days).toHaveLength(7);
    expect(week.body.days.slice(0, 6).every((d: { requests_total: number }) => d.requests_total === 0)).toBe(true);
    expect((await usageOf(org.owner, 32)).status).toBe(400);
  });

  it('counts refused requests as throttled, and the operator report shows every organization in one line each', async () => {
    const org = await newOrg('report');
    await putOnPlan(org, 'tiny');
    await atWindowStart(WINDOW_MS);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await list(org.owner)).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    const today = new Date().toISOString().slice(0, 10);
    const report = await orgUsage(['--day', today]);
    expect(report.code).toBe(0);
    const lines = report.out.split('\n').map((line) => JSON.parse(line));
    const orgCount = await masterDb().collection(MASTER_COLLECTIONS.organizations).countDocuments();
    expect(lines).toHaveLength(orgCount);
    expect(lines.find((line) => line.organization_id === org.id)).toEqual({
      day: today,
      organization_id: org.id,
      organization_name: org.name,
      plan: 'tiny',
      requests_total: 5,
      throttled_total: 3,
      active_members: 1,
      records: 0,
      requests: { 'records-list': 5 },
      throttled: { 'records-list': 3 },
    });
    const csv = await orgUsage(['--day', today, '--format', 'csv']);
    const rows = csv.out.split('\r\n');
    expect(rows[0]).toBe(
      'day,organization_id,organization_name,plan,requests_total,throttled_total,active_members,records,requests,throttled',
    );
    expect(rows).toContain(`${today},${org.id},${org.name},tiny,5,3,1,0,"{""records-list"":5}","{""records-list"":3}"`);
    expect((await orgUsage(['--day', 'yesterday'])).code).toBe(1);
  });
});

afterAll(async () => {
  await rm(MAILBOX, { recursive: true, force: true });
});
