import { expect } from 'vitest';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as authorize } from '../../functions/authorizer/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { authorizerEvent, invoke } from './events.ts';

/** Creating organizations and signing in through the real handlers. */

export async function createOrganization(name: string, email: string, password: string) {
  const answer = await invoke(createOrg, {
    method: 'POST',
    path: '/org/create',
    body: { organization_name: name, email, password },
  });
  expect(answer.status).toBe(201);
  return answer.body;
}

export async function logIn(email: string, password: string) {
  const answer = await invoke(login, { method: 'POST', path: '/admin/login', body: { email, password } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as { access_token: string; refresh_token: string; organization_id: string };
}

export type AuthorizerContext = {
  userId: string;
  orgId: string;
  role: string;
  /** Space-separated. */
  permissions: string;
  membership: string;
  sessionId: string;
  tokenId: string;
  expiresAt: number;
};

/** What the authorizer decides for a token: the caller's context, or null when denied. */
export async function authorizeToken(token: string): Promise<AuthorizerContext | null> {
  const result = await authorize(authorizerEvent(`Bearer ${token}`));
  return result.isAuthorized ? (result.context as AuthorizerContext) : null;
}
