import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../bin/local-api/gateway.ts';
import type { Route } from '../../lib/routes.ts';

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
