import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLES, type BuiltInRole, PERMISSIONS } from '#core/members/permissions.ts';
import { actsOnOrganization, routes } from '../../../lib/routes.ts';
import { invoke } from '../../support/events.ts';

/**
 * Every permission of every role on every route, generated from the route table: each `jwt` route's
 * real handler (its `createHandler`, over a service that only says it was reached) is called as each
 * built-in role and as custom roles holding exactly the route's permission, or everything but it.
 * A refusal is 403 `permission_denied` before the service runs; anything else means the role got through.
 */

const USER = '0123456789abcdef01234567';
const ORG = '89abcdef0123456789abcdef';

class Reached extends Error {}

type CreateHandler = (service: () => Promise<never>) => unknown;

async function handlerOf(folder: string) {
  const module = (await import(`../../../functions/${folder}/handler.ts`)) as { createHandler: CreateHandler };
  return module.createHandler(async () => {
    throw new Reached('the service was reached');
  });
}

/** The route's path with its `{params}` filled in, and those params. */
function concrete(path: string) {
  const params: Record<string, string> = {};
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    params[name] = name === 'name' ? 'reader' : USER;
    return params[name] as string;
  });
  return { path: filled, params };
}

const jwtRoutes = routes.filter((route) => route.auth === 'jwt');

describe('Permission matrix (from the route table)', () => {
  it('covers every protected route, and every permission a route names is a known one', () => {
    expect(jwtRoutes.length).toBeGreaterThan(15);
    for (const route of jwtRoutes) if (route.permission) expect(PERMISSIONS).toContain(route.permission);
  });

  for (const route of jwtRoutes) {
    describe(`${route.method} ${route.path} (${route.permission ?? 'any member'})`, () => {
      const call = async (role: string, permissions: readonly string[]) => {
        const handler = await handlerOf(route.function);
        const { path, params } = concrete(route.path);
        return invoke(handler, {
          method: route.method,
          path,
          ...(Object.keys(params).length > 0 ? { params } : {}),
          caller: { userId: USER, orgId: ORG, role, permissions },
        });
      };
      const denied = (answer: { status: number; body: { code?: string } }) =>
        answer.status === 403 && answer.body?.code === 'permission_denied';

      for (const role of Object.keys(BUILT_IN_ROLES) as BuiltInRole[]) {
        const allowed = !route.permission || (BUILT_IN_ROLES[role] as readonly string[]).includes(route.permission);
        it(`${allowed ? 'lets' : 'refuses'} ${role}`, async () => {
          const answer = await call(role, BUILT_IN_ROLES[role]);
          expect(denied(answer), JSON.stringify(answer.body)).toBe(!allowed);
        });
      }

      it('lets a custom role holding exactly its permission, and refuses one holding all the others', async () => {
        const permission = route.permission;
        expect(denied(await call('custom', permission ? [permission] : []))).toBe(false);
        const others = PERMISSIONS.filter((p) => p !== permission);
        expect(denied(await call('custom', others))).toBe(Boolean(permission));
      });
    });
  }
});

describe('A caller whose role the authorizer could not learn (database outage)', () => {
  it('gets 503 on a route that needs a permission, and through on one that needs none', async () => {
    const caller = { userId: USER, orgId: ORG, role: '', permissions: [], membership: 'unverified' };
    const needs = await handlerOf('records-list');
    const none = await handlerOf('admin-logout');

    const refused = await invoke(needs, { method: 'GET', path: '/org/records', caller });
    const passed = await invoke(none, { method: 'POST', path: '/admin/logout', caller });

    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(passed.status).not.toBe(503);
  });
});

describe('A caller whose organization is archived', () => {
  for (const route of jwtRoutes) {
    const refused = actsOnOrganization(route.function);
    it(`${refused ? 'is refused' : 'gets through'} at ${route.method} ${route.path}`, async () => {
      const handler = await handlerOf(route.function);
      const { path, params } = concrete(route.path);
      const answer = await invoke(handler, {
        method: route.method,
        path,
        ...(Object.keys(params).length > 0 ? { params } : {}),
        caller: { userId: USER, orgId: ORG, role: 'owner', organization: 'archived' },
      });
      const archived = answer.status === 403 && answer.body?.code === 'organization_archived';
      expect(archived, JSON.stringify(answer.body)).toBe(refused);
    });
  }

  it('may still reach its account and restore routes, and under /org/ only the delete (a retry answers as the archive did)', () => {
    const open = jwtRoutes.filter((route) => !actsOnOrganization(route.function)).map((route) => route.path);
    expect(open).toContain('/me/organizations/restore');
    expect(open).toContain('/me');
    expect(open.filter((path) => path.startsWith('/org/'))).toEqual(['/org/delete']);
  });
});
