import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLocalApi, matchRoute } from '../../bin/local-api/gateway.ts';
import { AUTHORIZER_FUNCTION, type Route } from '../../lib/routes.ts';

const routes: Route[] = [
  { method: 'GET', path: '/org/records', function: 'list', auth: 'jwt', summary: '', needs: [] },
  { method: 'GET', path: '/org/records/{id}', function: 'get', auth: 'jwt', summary: '', needs: [] },
  { method: 'DELETE', path: '/org/records/{id}', function: 'delete', auth: 'jwt', summary: '', needs: [] },
];

describe('Local API: route matching', () => {
  it('matches exact paths and fills {param} segments as API Gateway does', () => {
    expect(matchRoute(routes, 'GET', '/org/records')).toEqual({ route: routes[0], pathParameters: {} });
    expect(matchRoute(routes, 'GET', '/org/records/abc123')).toEqual({ route: routes[1], pathParameters: { id: 'abc123' } });
    expect(matchRoute(routes, 'DELETE', '/org/records/a%20b')?.pathParameters).toEqual({ id: 'a b' });
  });

  it('matches nothing for another method, an empty segment, extra segments or a bad escape', () => {
    expect(matchRoute(routes, 'POST', '/org/records/abc')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/org/records/')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/org/records/abc/def')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/org/records/%E0%A4%A')).toBeUndefined();
  });
});

describe('Local API: the authorizer result cache', () => {
  /** A local API over one JWT route whose authorizer counts its calls and allows `Bearer good`. */
  async function serve(authorizerCacheSeconds?: number) {
    let calls = 0;
    const load = async (name: string) =>
      name === AUTHORIZER_FUNCTION
        ? async (event: unknown) => {
            calls += 1;
            const allowed = (event as { identitySource: string[] }).identitySource[0] === 'Bearer good';
            return { isAuthorized: allowed, context: { adminId: 'a', orgId: 'o' } };
          }
        : async () => ({ statusCode: 204 });
    const server = createLocalApi({ routes, load, log: () => {}, authorizerCacheSeconds });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = async (token: string) =>
      (await fetch(`http://127.0.0.1:${port}/org/records`, { headers: { authorization: `Bearer ${token}` } })).status;
    return { get, calls: () => calls, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('calls the authorizer for every request by default, as the dev stage', async () => {
    const api = await serve();
    try {
      expect([await api.get('good'), await api.get('good'), await api.get('bad')]).toEqual([204, 204, 403]);
      expect(api.calls()).toBe(3);
    } finally {
      await api.close();
    }
  });

  it('reuses a decision, allow or deny, for the same Authorization header within its seconds', async () => {
    const api = await serve(60);
    try {
      expect([await api.get('good'), await api.get('good'), await api.get('bad'), await api.get('bad')]).toEqual([
        204, 204, 403, 403,
      ]);
      expect(api.calls()).toBe(2);
    } finally {
      await api.close();
    }
  });
});

describe('Local API: one log line per request', () => {
  it("writes its own line only when it answers itself; a route's function writes the line of its answers", async () => {
    const lines: string[] = [];
    const load = async (name: string) =>
      name === AUTHORIZER_FUNCTION
        ? async () => ({ isAuthorized: true, context: { adminId: 'a', orgId: 'o' } })
        : async () => ({ statusCode: 204 });
    const server = createLocalApi({ routes, load, log: (line) => lines.push(line) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const status = async (path: string, headers: Record<string, string> = {}) =>
      (await fetch(`http://127.0.0.1:${port}${path}`, { headers })).status;
    try {
      expect(await status('/org/records', { authorization: 'Bearer t' })).toBe(204);
      expect(await status('/org/records')).toBe(401);
      expect(await status('/nowhere?x=1')).toBe(404);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lines.map((line) => line.replace(/\d+ms$/, 'Nms'))).toEqual(['GET /org/records 401 Nms', 'GET /nowhere 404 Nms']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Local API: answer bodies', () => {
  it('sends the exact bytes of UTF-8 text, binary (base64) and large bodies', async () => {
    const text = JSON.stringify({ name: 'Zürich 東京 🚀', note: 'ünïcødé' });
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = 'é'.repeat(70_000); // past the single-write size, in two-byte characters
    const results: Record<string, unknown> = {
      list: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: text },
      get: {
        statusCode: 200,
        headers: { 'content-type': 'application/octet-stream' },
        body: binary.toString('base64'),
        isBase64Encoded: true,
      },
      delete: { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: large },
    };
    const load = async (name: string) =>
      name === AUTHORIZER_FUNCTION ? async () => ({ isAuthorized: true, context: {} }) : async () => results[name];
    const server = createLocalApi({ routes, load, log: () => {} });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const bytes = async (method: string, path: string) => {
      const answer = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: 'Bearer t' } });
      const body = Buffer.from(await answer.arrayBuffer());
      expect(answer.headers.get('content-length')).toBe(String(body.byteLength));
      return body;
    };
    try {
      expect((await bytes('GET', '/org/records')).equals(Buffer.from(text, 'utf8'))).toBe(true);
      expect((await bytes('GET', '/org/records/x')).equals(binary)).toBe(true);
      expect((await bytes('DELETE', '/org/records/x')).equals(Buffer.from(large, 'utf8'))).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
