import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '#core/account/totp.ts';
import { newId } from '#core/ids.ts';
import { INVITATION_EXAMPLE } from '#core/invitations/schemas.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { EXAMPLE } from '#core/orgs/schemas.ts';
import { DOCUMENT_PATH, renderOpenApi } from '../../bin/openapi.ts';
import { routes } from '../../lib/routes.ts';
import { closeClientsAfterAll, testClient, testPlacements } from '../support/db.ts';
import { type RunningApi, startLocalApi } from '../support/local-api.ts';
import { latestInvitationToken } from '../support/mailbox.ts';
import { addMember } from '../support/members.ts';

/** The OpenAPI document: valid, current, complete, and true of the running API. */

closeClientsAfterAll();

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; example?: string }[];
  requestBody?: { content: { 'application/json': { example?: Record<string, unknown> } } };
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
};
type Document = { paths: Record<string, Record<string, Operation>> };

let document: Document;

beforeAll(async () => {
  document = JSON.parse(await readFile(DOCUMENT_PATH, 'utf8'));
});

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();

    const result = await validator.validate(structuredClone(document));

    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is the one the route table and contracts generate (run `npm run openapi` after changing them)', async () => {
    expect(`${JSON.stringify(document, null, 2)}\n`).toBe(await renderOpenApi());
  });

  it('describes every route, with an example for every request body', () => {
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      if (operation?.requestBody) expect(operation.requestBody.content['application/json'].example).toBeDefined();
      expect(operation?.security, route.path).toEqual(route.auth === 'jwt' ? [{ bearer: [] }] : []);
    }
  });
});

describe('The document against the running local API', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => {
    await api.stop();
  });

  /** Runs an operation's example and checks the answer against what the document declares. */
  async function runExample(
    path: string,
    method: string,
    token?: string,
    bodyOverride?: Record<string, unknown>,
    paramsOverride?: Record<string, string>,
  ) {
    const operation = document.paths[path]?.[method];
    if (!operation) throw new Error(`${method} ${path} is not documented`);
    let concrete = path;
    for (const p of operation.parameters ?? []) {
      if (p.in === 'path')
        concrete = concrete.replace(`{${p.name}}`, encodeURIComponent(paramsOverride?.[p.name] ?? p.example ?? ''));
    }
    const query = new URLSearchParams();
    for (const p of operation.parameters ?? []) if (p.in === 'query' && p.example !== undefined) query.set(p.name, p.example);
    const example = operation.requestBody?.content['application/json'].example;
    const body = example ? { ...example, ...bodyOverride } : undefined;
    const response = await fetch(`${api.url}${concrete}${query.size > 0 ? `?${query}` : ''}`, {
      method: method.toUpperCase(),
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const success = Object.keys(operation.responses).find((s) => s.startsWith('2'));
    expect(String(response.status), `${method} ${path}: ${text}`).toBe(success);
    const lines = operation.responses[String(response.status)]?.content?.['application/jsonl'];
    if (lines) {
      expect(response.headers.get('content-type')).toBe('application/jsonl');
      for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
      return {};
    }
    const declared = operation.responses[String(response.status)]?.content?.['application/json'];
    if (declared) {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      ajv.addSchema(document as object, 'openapi');
      const pointer = `openapi#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses/${response.status}/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      const parsed = JSON.parse(text);
      expect(validate(parsed), `${method} ${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
      return parsed as Record<string, string>;
    }
    expect(text).toBe('');
    return {};
  }

  it('answers as the document says when the gateway answers itself: 431 for a request line too long, 413 over 10 MB', async () => {
    const tooLong = await fetch(`${api.url}/org/get?organization_name=${'a'.repeat(20_000)}`);
    const tooLarge = await fetch(`${api.url}/org/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(document as object, 'openapi');
    const gatewayMessage = ajv.compile({
      $ref: 'openapi#/paths/~1org~1create/post/responses/413/content/application~1json/schema',
    });

    expect(tooLong.status).toBe(431);
    expect(await tooLong.text()).toBe('');
    expect(document.paths['/org/get']?.get?.responses['431']).toBeDefined();
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('content-type')).toBe('application/json');
    expect(gatewayMessage(await tooLarge.json())).toBe(true);
  });

  it('answers every documented example with the documented status and shape', async () => {
    const ran = new Set<string>();
    const run = async (
      path: string,
      method: string,
      token?: string,
      override?: Record<string, unknown>,
      params?: Record<string, string>,
    ) => {
      ran.add(`${method} ${path}`);
      return runExample(path, method, token, override, params);
    };
    const login = () => run('/admin/login', 'post');

    await run('/org/create', 'post');
    await run('/org/get', 'get');
    const first = await login();
    const refreshed = await run('/admin/refresh', 'post', undefined, { refresh_token: first.refresh_token });
    const created = await run('/org/records', 'post', refreshed.access_token);
    const id = { id: created.id ?? '' };
    await run('/org/records', 'get', refreshed.access_token);
    await run('/org/records/{id}', 'get', refreshed.access_token, undefined, id);
    await run('/org/records/{id}', 'put', refreshed.access_token, undefined, id);
    await run('/org/records/{id}', 'patch', refreshed.access_token, undefined, id);
    await run('/org/records/{id}', 'delete', refreshed.access_token, undefined, id);

    // Members and roles: the example ids are made real by overriding them with the members made here.
    const owner = refreshed.access_token;
    const orgId = refreshed.organization_id ?? '';
    const [promoted, heir, leaver] = await Promise.all(
      ['promoted', 'heir', 'leaver'].map((who) => addMember(orgId, `${who}@acme.example`)),
    );
    if (!promoted || !heir || !leaver) throw new Error('members were not made');
    const tokenOf = async (email: string) =>
      (await runExample('/admin/login', 'post', undefined, { email, password: 'member password' })).access_token;
    const profile = await run('/me', 'get', owner);
    await run('/me/switch', 'post', owner, { organization_id: orgId });
    await run('/org/members', 'get', owner);
    await run('/org/usage', 'get', owner);
    await run('/org/roles', 'post', owner);
    await run('/org/roles', 'get', owner);
    await run('/org/roles/{name}', 'put', owner);
    await run('/org/roles/{name}', 'delete', owner);
    await run('/org/members/{user_id}', 'put', owner, undefined, { user_id: promoted.userId });
    await run('/org/members/{user_id}', 'delete', owner, undefined, { user_id: promoted.userId });
    await run('/org/leave', 'post', await tokenOf(leaver.email));
    await run('/org/transfer-ownership', 'post', owner, { user_id: heir.userId });
    // and back, so that the example admin may delete the organization at the end
    await runExample('/org/transfer-ownership', 'post', await tokenOf(heir.email), { user_id: profile.user_id });

    // Invitations: the secrets come from the mailbox folder the local API writes (.local/mailbox).
    const mailbox = process.env.MAILBOX_DIR ?? `${process.cwd()}/.local/mailbox`;
    await run('/org/invitations', 'post', owner);
    await run('/org/invitations', 'get', owner);
    await run('/invitations/accept', 'post', undefined, {
      token: await latestInvitationToken(mailbox, INVITATION_EXAMPLE.email),
    });
    const other = { organization_name: 'Example Other', email: 'other@other.example', password: 'other password' };
    await runExample('/org/create', 'post', undefined, other);
    await runExample('/org/invitations', 'post', owner, { email: other.email });
    const otherToken = (await runExample('/admin/login', 'post', undefined, { email: other.email, password: other.password }))
      .access_token;
    await run('/me/invitations/accept', 'post', otherToken, { token: await latestInvitationToken(mailbox, other.email) });
    const revocable = await runExample('/org/invitations', 'post', owner, { email: 'revocable@acme.example' });
    await run('/org/invitations/{invitation_id}', 'delete', owner, undefined, { invitation_id: revocable.invitation_id ?? '' });

    // The audit log, jobs and webhooks, as the owner.
    const auditor = (await login()).access_token;
    // A finished move, as the operator's script leaves it (no route starts one).
    const jobId = newId();
    const at = new Date();
    await mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements()).jobs.insert({
      id: jobId,
      kind: 'move',
      orgId,
      state: 'succeeded',
      params: { to: 'database' },
      progress: { phase: 'done' },
      attempts: 0,
      runAfter: at,
      result: { documents: 1, placement_mode: 'database' },
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      finishedAt: at,
    });
    await run('/org/jobs', 'get', auditor);
    await run('/org/jobs/{job_id}', 'get', auditor, undefined, { job_id: jobId });
    await run('/org/audit-log', 'get', auditor);
    await run('/org/audit-log/export', 'get', auditor);
    const hook = await run('/org/webhooks', 'post', auditor);
    const hookId = { webhook_id: hook.webhook_id ?? '' };
    await run('/org/webhooks', 'get', auditor);
    await run('/org/webhooks/{webhook_id}/replay', 'post', auditor, undefined, hookId);
    await run('/org/webhooks/{webhook_id}/attempts', 'get', auditor, undefined, hookId);
    await run('/org/webhooks/{webhook_id}', 'delete', auditor, undefined, hookId);

    await run('/org/update', 'put', refreshed.access_token);

    // Account security, with the secrets from the mailbox and codes from the authenticator's algorithm.
    const mine = (await login()).access_token;
    await run('/me/email/verification', 'post', mine);
    await run('/email/verify', 'post', undefined, { token: await latestInvitationToken(mailbox, EXAMPLE.email) });
    await run('/me/email', 'post', mine);
    await run('/org/security', 'put', mine, { require_two_factor: false });
    const enrolment = await run('/me/two-factor', 'post', mine);
    const base = Date.now();
    const code = (steps: number) => totpCode(String(enrolment.secret), new Date(base + steps * 30_000));
    const confirmed = await run('/me/two-factor/confirm', 'post', mine, { code: code(0) });
    const challenge = await runExample('/admin/login', 'post');
    await run('/login/two-factor', 'post', undefined, { challenge: challenge.challenge, code: code(1) });
    await run('/me/two-factor/disable', 'post', mine, { code: confirmed.recovery_codes?.[0] });
    await run('/password/forgot', 'post');
    await run('/password/reset', 'post', undefined, { token: await latestInvitationToken(mailbox, EXAMPLE.email) });
    await run('/me/password', 'put', (await login()).access_token, { new_password: EXAMPLE.password });

    await run('/admin/logout', 'post', (await login()).access_token);
    await run('/admin/logout-all', 'post', (await login()).access_token);
    await run('/org/delete', 'delete', (await login()).access_token);
    // Archived: its owner, who has no other organization, logs in to a restore-only session and restores it.
    await run('/me/organizations/restore', 'post', (await login()).access_token, { organization_id: orgId });
    await run('/openapi.json', 'get');

    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect([...ran].sort()).toEqual(documented.sort());
  }, 90_000); // about 40 requests, some hashing passwords: room on a loaded machine
});
