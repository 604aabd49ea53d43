import { describe, expect, it } from 'vitest';
import type { TokenGuard } from '#core/auth/guard.ts';
import { UnauthorizedError } from '#core/errors.ts';
import { createHandler as authorizer } from '../../../functions/authorizer/handler.ts';
import { createHandler as orgCreate } from '../../../functions/org-create/handler.ts';
import { createHandler as orgDelete } from '../../../functions/org-delete/handler.ts';
import { createHandler as orgGet } from '../../../functions/org-get/handler.ts';
import { createHandler as orgUpdate } from '../../../functions/org-update/handler.ts';
import { authorizerEvent, invoke } from '../../support/events.ts';
import { harness, password } from '../orgs/harness.ts';

/**
 * The organization routes from event to answer, each handler given the real service over in-memory
 * stores: parsing, the service's rules and the problem+json mapping, without a database.
 */

describe('Function: org routes over in-memory stores', () => {
  it('creates an organization and answers 201 with its collection; the same name again is 409', async () => {
    // Prepare
    const h = harness();
    const create = orgCreate(async () => h.service());
    const body = { organization_name: 'Acme Corp', email: 'admin@acme.example', password };

    // Act
    const created = await invoke(create, { method: 'POST', path: '/org/create', body });
    const again = await invoke(create, { method: 'POST', path: '/org/create', body: { ...body, email: 'other@acme.example' } });

    // Assess
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ organization_name: 'Acme Corp', admin_email: 'admin@acme.example' });
    expect(created.body.collection_name).toMatch(/^org_acme_corp_[0-9a-f]{10}$/);
    expect(await h.stores.orgs.findById(created.body.organization_id)).toMatchObject({ status: 'active' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toBe('application/problem+json');
    expect(again.body).toMatchObject({ status: 409, code: 'organization_name_taken' });
  });

  it('answers 404 problem+json for an organization nobody has', async () => {
    const h = harness();

    const got = await invoke(
      orgGet(async () => h.service()),
      {
        method: 'GET',
        path: '/org/get',
        query: { organization_name: 'Nobody Here' },
      },
    );

    expect(got.status).toBe(404);
    expect(got.body).toMatchObject({ code: 'organization_not_found' });
  });

  it('renames the caller organization, and refuses another admin with 403', async () => {
    const h = harness();
    const { caller } = await h.createOrg('Blue Sky');
    const { caller: stranger } = await h.createOrg('Red Sea');
    const update = orgUpdate(async () => h.service());

    const renamed = await invoke(update, {
      method: 'PUT',
      path: '/org/update',
      body: { organization_name: 'Blue Sky', new_organization_name: 'Blue Ocean' },
      caller,
    });
    const refused = await invoke(
      orgDelete(async () => h.service()),
      {
        method: 'DELETE',
        path: '/org/delete',
        query: { organization_name: 'Blue Ocean' },
        caller: stranger,
      },
    );

    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ organization_name: 'Blue Ocean' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'not_your_organization' });
    expect((await h.current(caller.orgId))?.name).toBe('Blue Ocean');
  });

  it('answers 401 on a protected route the authorizer did not pass a caller to', async () => {
    const h = harness();

    const answer = await invoke(
      orgUpdate(async () => h.service()),
      {
        method: 'PUT',
        path: '/org/update',
        body: { organization_name: 'Blue Sky', new_organization_name: 'Blue Ocean' },
      },
    );

    expect(answer.status).toBe(401);
    expect(h.stores.orgs.all()).toEqual([]);
  });
});

describe('Function: authorizer over a fake guard', () => {
  const guard = (check: TokenGuard['check']) => async () => ({ check }) as unknown as TokenGuard;
  const token = 'aaa.bbb.ccc';

  it('allows a token the guard accepts and hands its caller to the route', async () => {
    const handler = authorizer(
      guard(async () => ({
        userId: 'a1',
        orgId: 'o1',
        role: 'member',
        permissions: ['records:read', 'records:write'],
        sessionId: 's1',
      })),
    );

    const decision = await handler(authorizerEvent(`Bearer ${token}`));

    expect(decision).toEqual({
      isAuthorized: true,
      context: {
        userId: 'a1',
        orgId: 'o1',
        role: 'member',
        permissions: 'records:read records:write',
        membership: '',
        sessionId: 's1',
        tokenId: '',
        expiresAt: 0,
        twoFactor: '',
        mfa: '',
        organization: '',
      },
    });
  });

  it('denies a token the guard rejects, and a header that is not a bearer token without asking the guard', async () => {
    let asked = 0;
    const handler = authorizer(
      guard(async () => {
        asked += 1;
        throw new UnauthorizedError('token_revoked', 'revoked');
      }),
    );

    expect(await handler(authorizerEvent(`Bearer ${token}`))).toEqual({ isAuthorized: false });
    expect(await handler(authorizerEvent('Basic dXNlcjpwYXNz'))).toEqual({ isAuthorized: false });
    expect(asked).toBe(1);
  });

  it('fails (API Gateway answers 500) rather than deny when the guard cannot verify at all', async () => {
    const handler = authorizer(
      guard(async () => {
        throw new Error('verification keys unreadable');
      }),
    );

    await expect(handler(authorizerEvent(`Bearer ${token}`))).rejects.toThrow('verification keys unreadable');
  });
});
