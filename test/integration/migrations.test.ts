import { describe, expect, it, vi } from 'vitest';
import { migrateAdminsToMembers } from '#core/mongo/migrations.ts';
import { handler as reconcile } from '../../functions/reconciler/handler.ts';
import { authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { masterDb, useTestDatabase } from '../support/db.ts';

/**
 * The upgrade from one admin per organization to users and memberships: documents as the earlier
 * version wrote them (a user without `schemaVersion`, no membership) become owners, by the database
 * setup and by the reconciler, and tokens issued before keep working.
 */

vi.hoisted(() => {
  process.env.REVOCATION_CACHE_SECONDS = '0'; // each check asks the database
});

useTestDatabase();

/** An organization as the one-admin version left it: its admin without schemaVersion or membership. */
async function legacyOrganization(name: string, email: string) {
  const created = await createOrganization(name, email, 'legacy password');
  const { access_token: token } = await logIn(email, 'legacy password');
  const admins = masterDb().collection('admins');
  await admins.updateOne({ email }, { $unset: { schemaVersion: '' } });
  await masterDb()
    .collection<{ _id: string }>('memberships')
    .deleteMany({ _id: { $regex: `^${created.organization_id}:` } });
  return { orgId: created.organization_id as string, token };
}

describe('Migration: admins to owners', () => {
  it('makes each one-admin organization’s admin its owner, once, and old tokens work again', async () => {
    const legacy = await legacyOrganization('Legacy Co', 'admin@legacy.example');
    expect(await authorizeToken(legacy.token)).toBeNull(); // no membership yet: refused

    const first = await migrateAdminsToMembers(masterDb());
    const again = await migrateAdminsToMembers(masterDb());

    expect(first.ownersAdded).toBeGreaterThanOrEqual(1);
    expect(again.ownersAdded).toBe(0);
    expect(await authorizeToken(legacy.token)).toMatchObject({ orgId: legacy.orgId, role: 'owner' });
    expect((await logIn('admin@legacy.example', 'legacy password')).organization_id).toBe(legacy.orgId);
  });

  it('is run by the reconciler, so what an older version writes during a deploy is migrated within a period', async () => {
    const legacy = await legacyOrganization('Written Late', 'admin@late.example');

    const result = await reconcile();

    expect(result.ownersAdded).toBe(1);
    expect(await authorizeToken(legacy.token)).toMatchObject({ role: 'owner' });
  });
});
