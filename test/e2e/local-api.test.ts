import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeClientsAfterAll } from '../support/db.ts';
import { type RunningApi, startLocalApi } from '../support/local-api.ts';

/** The local API as users run it (`npm start`), over real HTTP, on this file's test databases. */

closeClientsAfterAll();

let api: RunningApi;
let base: string;

beforeAll(async () => {
  api = await startLocalApi();
  base = api.url;
});

afterAll(async () => {
  await api.stop();
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

describe('Local API', () => {
  it('serves the whole lifecycle: create, get, login, rename, delete', async () => {
    const created = await call('POST', '/org/create', {
      body: { organization_name: 'E2E Corp', email: 'e2e@corp.example', password: 'e2e password' },
    });
    expect(created.status).toBe(201);

    const got = await call('GET', '/org/get?organization_name=e2e%20corp');
    expect(got).toMatchObject({
      status: 200,
      body: { organization_name: 'E2E Corp', collection_name: expect.stringMatching(/^org_e2e_corp_[0-9a-f]{10}$/) },
    });

    const login = await call('POST', '/admin/login', { body: { email: 'e2e@corp.example', password: 'e2e password' } });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;

    const renamed = await call('PUT', '/org/update', {
      token,
      body: { organization_name: 'E2E Corp', new_organization_name: 'E2E Group' },
    });
    expect(renamed).toMatchObject({
      status: 200,
      body: { organization_name: 'E2E Group', collection_name: expect.stringMatching(/^org_e2e_group_[0-9a-f]{10}$/) },
    });

    const deleted = await call('DELETE', '/org/delete?organization_name=E2E%20Group', { token });
    expect(deleted).toEqual({
      status: 202,
      type: 'application/json',
      body: { archived: true, organization_name: 'E2E Group', purge_after: expect.any(String) },
    });
    expect((await call('GET', '/org/get?organization_name=E2E%20Group')).status).toBe(404);
  });

  it('refreshes a session and logs it out', async () => {
    await call('POST', '/org/create', {
      body: { organization_name: 'Session Co', email: 's@session.example', password: 'session password' },
    });
    const login = await call('POST', '/admin/login', { body: { email: 's@session.example', password: 'session password' } });

    const refreshed = await call('POST', '/admin/refresh', { body: { refresh_token: login.body.refresh_token } });
    const loggedOut = await call('POST', '/admin/logout', { token: refreshed.body.access_token });
    const afterwards = await call('PUT', '/org/update', {
      token: refreshed.body.access_token,
      body: { organization_name: 'Session Co', new_organization_name: 'Session Two' },
    });
    const refreshAgain = await call('POST', '/admin/refresh', { body: { refresh_token: refreshed.body.refresh_token } });

    expect(refreshed.status).toBe(200);
    expect(loggedOut.status).toBe(204);
    expect(afterwards).toEqual({ status: 403, type: 'application/json', body: { message: 'Forbidden' } });
    expect(refreshAgain.status).toBe(401);
  });

  it('serves the records routes, with {id} path parameters', async () => {
    await call('POST', '/org/create', {
      body: { organization_name: 'Records Co', email: 'r@records.example', password: 'records password' },
    });
    const login = await call('POST', '/admin/login', { body: { email: 'r@records.example', password: 'records password' } });
    const token = login.body.access_token as string;

    const created = await call('POST', '/org/records', { token, body: { title: 'hello', n: 1 } });
    const id = created.body.id as string;
    const got = await call('GET', `/org/records/${id}`, { token });
    const patched = await call('PATCH', `/org/records/${id}`, { token, body: { n: 2 } });
    const listed = await call('GET', '/org/records?limit=10&filter%5Bn%5D=2', { token });
    const deleted = await call('DELETE', `/org/records/${id}`, { token });
    const gone = await call('GET', `/org/records/${id}`, { token });
    const badId = await call('GET', '/org/records/not-an-id', { token });
    const noToken = await call('GET', `/org/records/${id}`);

    expect(created).toMatchObject({ status: 201, body: { data: { title: 'hello', n: 1 } } });
    expect(got).toMatchObject({ status: 200, body: { id, data: { title: 'hello', n: 1 } } });
    expect(patched).toMatchObject({ status: 200, body: { data: { title: 'hello', n: 2 } } });
    expect(listed.body.records.map((r: { id: string }) => r.id)).toEqual([id]);
    expect(deleted.status).toBe(204);
    expect(gone).toMatchObject({ status: 404, type: 'application/problem+json', body: { code: 'record_not_found' } });
    expect(badId).toMatchObject({ status: 400, body: { errors: [{ pointer: '/id' }] } });
    expect(noToken.status).toBe(401);
  });

  it('answers like API Gateway in front of the JWT routes', async () => {
    const missing = await call('PUT', '/org/update', { body: { organization_name: 'x' } });
    const garbled = await call('PUT', '/org/update', {
      body: { organization_name: 'x' },
      headers: { authorization: 'Bearer garbage' },
    });
    const unknown = await call('GET', '/org/nothing');
    const wrongMethod = await call('POST', '/org/get');

    expect(missing).toEqual({ status: 401, type: 'application/json', body: { message: 'Unauthorized' } });
    expect(garbled).toEqual({ status: 403, type: 'application/json', body: { message: 'Forbidden' } });
    expect(unknown.status).toBe(404);
    expect(wrongMethod.status).toBe(404);
  });

  it('answers bad input with problem+json', async () => {
    const response = await fetch(`${base}/org/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'malformed_json', status: 400 });
  });

  it('serves its OpenAPI document and the docs page', async () => {
    const document = await call('GET', '/openapi.json');
    const page = await fetch(`${base}/docs`);
    const bundle = await fetch(`${base}/docs/swagger-ui-bundle.js`);
    const traversal = await fetch(`${base}/docs/..%2Fpackage.json`);

    expect(document).toMatchObject({ status: 200, body: { openapi: '3.1.0' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(traversal.status).toBe(404);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await api.stop()).toBe(0);
  });
});
