import { expect } from 'vitest';
import { createPasswordHasher } from '#core/auth/passwords.ts';
import { newId } from '#core/ids.ts';
import { mongoOrgStores } from '#core/mongo/stores.ts';
import { handler as switchOrg } from '../../functions/me-switch/handler.ts';
import { authorizeToken, logIn } from './auth.ts';
import { testClient, testPlacements } from './db.ts';
import { invoke } from './events.ts';

/**
 * Members for tests, before invitations are in play: a user (new, or the one holding the email) is
 * given a membership straight in the stores, as an accepted invitation leaves it.
 */

const hasher = createPasswordHasher(4);
const stores = () => mongoOrgStores(testClient(), process.env.MASTER_DB_NAME ?? '', testPlacements());

export interface TestMember {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
}

/** Makes `email` a member of `orgId` with `role`, creating the user if need be. */
export async function addMember(
  orgId: string,
  email: string,
  role = 'member',
  password = 'member password',
): Promise<TestMember> {
  const s = stores();
  const now = new Date();
  let user = await s.admins.findByEmail(email);
  if (!user) {
    const id = newId();
    expect(
      await s.admins.insert({
        id,
        email,
        passwordHash: await hasher.hash(password),
        tokenVersion: 0,
        createdAt: now,
        updatedAt: now,
      }),
    ).toBe('ok');
    user = await s.admins.findById(id);
  }
  if (!user) throw new Error('the user was not stored');
  expect(await s.memberships.insert({ orgId, userId: user.id, role, createdAt: now, updatedAt: now })).toBe('ok');
  return { userId: user.id, email, password };
}

/** A member's tokens for `orgId` and the authorizer's context for them. */
export async function signIn(member: Pick<TestMember, 'email' | 'password'>, orgId?: string) {
  const tokens = await logIn(member.email, member.password);
  let access = tokens.access_token;
  if (orgId && tokens.organization_id !== orgId) {
    const context = await authorizeToken(access);
    const switched = await invoke(switchOrg, {
      method: 'POST',
      path: '/me/switch',
      caller: context ?? undefined,
      body: { organization_id: orgId },
    });
    expect(switched.status, JSON.stringify(switched.body)).toBe(200);
    access = switched.body.access_token;
  }
  const context = await authorizeToken(access);
  if (!context) throw new Error('the authorizer refused a fresh token');
  return { token: access, context };
}
