import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orgPlan } from '../../bin/org-plan.ts';
import { closeClientsAfterAll } from '../support/db.ts';
import { type RunningApi, startLocalApi } from '../support/local-api.ts';

/**
 * One organization far over its rate beside another at its normal pace, through the local API over
 * real HTTP (`npm start`, which runs the same HTTP chain as AWS): the noisy one gets 429s, the other
 * none, and each one's usage equals what it sent. The latency comparison (p95 within 1.2x of a run
 * without the noise) is the bench's (`npm run bench`, "Noisy neighbour"), not a timed test.
 */

vi.hoisted(() => {
  // The local API (a child process) and this file's operator script read the same plans.
  process.env.PLANS = JSON.stringify({
    free: { rateLimit: 5, burstLimit: 10, quotas: { records: 1_000, members: 5 } },
    standard: { rateLimit: 20, burstLimit: 40, quotas: { records: 100_000, members: 100 } },
  });
  process.env.DEFAULT_PLAN = 'standard';
});

closeClientsAfterAll();

let api: RunningApi;

beforeAll(async () => {
  api = await startLocalApi();
});

afterAll(async () => {
  await api.stop();
});

async function call(method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: text ? JSON.parse(text) : undefined,
  };
}

async function signedUp(name: string, email: string): Promise<{ token: string; orgId: string }> {
  expect(
    (await call('POST', '/org/create', { body: { organization_name: name, email, password: 'noisy password' } })).status,
  ).toBe(201);
  const login = await call('POST', '/admin/login', { body: { email, password: 'noisy password' } });
  expect(login.status).toBe(200);
  return { token: login.body.access_token, orgId: login.body.organization_id };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Noisy neighbour (local API)', () => {
  it('refuses the organization far over its rate with 429s, and never the one at its normal pace', async () => {
    const noisy = await signedUp('Noisy Corp', 'owner@noisy.example');
    const quiet = await signedUp('Quiet Corp', 'owner@quiet.example');
    const changed = await orgPlan(['--id', noisy.orgId, '--plan', 'free', '--by', 'ops@noisy.example']);
    expect(changed.code, changed.out).toBe(0);

    // Noisy: 8 connections back to back for 3 s (hundreds of requests; its plan allows 5 per second).
    const noisyStatuses: number[] = [];
    const refusals: { type: string | null; retryAfter: string | null; code?: string }[] = [];
    let running = true;
    const floodStarted = Date.now();
    const flood = Array.from({ length: 8 }, async () => {
      while (running) {
        const answer = await call('GET', '/org/records', { token: noisy.token });
        noisyStatuses.push(answer.status);
        if (answer.status === 429) refusals.push({ type: answer.type, retryAfter: answer.retryAfter, code: answer.body?.code });
      }
    });
    // Quiet: 4 requests per second, well under its 20.
    const quietStatuses: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      quietStatuses.push((await call('GET', '/org/records', { token: quiet.token })).status);
      await sleep(250);
    }
    running = false;
    await Promise.all(flood);
    const floodMs = Date.now() - floodStarted;

    expect(quietStatuses).toEqual(Array(12).fill(200));
    const refused = noisyStatuses.filter((status) => status === 429).length;
    const served = noisyStatuses.filter((status) => status === 200).length;
    expect(refused + served).toBe(noisyStatuses.length);
    expect(refused).toBeGreaterThan(0);
    // At most its burst (10) per 2 s window it sent in (the first and the last only in part).
    expect(served).toBeLessThanOrEqual((Math.ceil(floodMs / 2_000) + 1) * 10);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ type: 'application/problem+json', code: 'rate_limited' });
      expect(Number(refusal.retryAfter)).toBeGreaterThanOrEqual(1);
    }

    // Each organization's usage is what it sent (the usage read itself is counted before it reads).
    const quietUsage = await call('GET', '/org/usage?days=1', { token: quiet.token });
    expect(quietUsage.status).toBe(200);
    expect(quietUsage.body.plan.name).toBe('standard');
    expect(quietUsage.body.days[0]).toMatchObject({
      requests: { 'records-list': 12, 'org-usage': 1 },
      throttled: {},
      active_members: 1,
    });
    await sleep(2_100); // past the noisy organization's full window
    const noisyUsage = await call('GET', '/org/usage?days=1', { token: noisy.token });
    expect(noisyUsage.status).toBe(200);
    expect(noisyUsage.body.plan.name).toBe('free');
    expect(noisyUsage.body.days[0]).toMatchObject({
      requests: { 'records-list': served, 'org-usage': 1 },
      throttled: { 'records-list': refused },
    });
  });
});
