import { describe, expect, it } from 'vitest';
import { databaseConfig, placementConfig } from '#core/config.ts';
import { PlacementPolicy } from '#core/tenancy/router.ts';

const orgId = '65f1c0ffee0123456789abcd';

describe('Placement policy', () => {
  it('places new organizations in the deployment mode, each place with a new generation', () => {
    const byCollection = new PlacementPolicy('tenants');
    const byDatabase = new PlacementPolicy('tenants', 'database');

    const a = byCollection.forNew({ id: orgId, slug: 'acme' });
    const b = byCollection.forNew({ id: orgId, slug: 'acme' });
    const c = byDatabase.forNew({ id: orgId, slug: 'acme' });

    expect(a).toEqual({
      mode: 'collection',
      database: 'tenants',
      collection: 'org_acme',
      gen: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(b.gen).not.toBe(a.gen);
    expect(c).toEqual({ mode: 'database', database: `tenants_${orgId}`, collection: 'records', gen: expect.any(String) });
    expect(byCollection.forNew({ id: orgId, slug: 'acme' }, 'database').mode).toBe('database');
  });

  it('renames a collection-mode place and keeps a database-mode place as it is', () => {
    const policy = new PlacementPolicy('tenants');
    const inCollection = policy.forNew({ id: orgId, slug: 'acme' });
    const inDatabase = policy.forNew({ id: orgId, slug: 'acme' }, 'database');

    expect(policy.forRename(inCollection, 'acme_global')).toEqual({ ...inCollection, collection: 'org_acme_global' });
    expect(policy.forRename(inDatabase, 'acme_global')).toBe(inDatabase);
  });

  it("knows this deployment's places and nobody else's", () => {
    const policy = new PlacementPolicy('tenants');

    expect(policy.isTenantPlace({ database: 'tenants', collection: 'org_acme' })).toBe(true);
    expect(policy.isTenantPlace({ database: `tenants_${orgId}`, collection: 'records' })).toBe(true);
    expect(policy.isTenantPlace({ database: 'tenants', collection: 'system.views' })).toBe(false);
    expect(policy.isTenantDatabase(`tenants_${orgId}`)).toBe(true);
    expect(policy.isTenantDatabase('tenants_other')).toBe(false);
    expect(policy.isTenantDatabase(`tenants2_${orgId}`)).toBe(false);
  });
});

describe('Placement settings', () => {
  it('default to collection mode and a 5 s cache, and refuse anything else', () => {
    expect(placementConfig({})).toEqual({ mode: 'collection', cacheMs: 5_000 });
    expect(placementConfig({ PLACEMENT_MODE: 'database', PLACEMENT_CACHE_SECONDS: '0' })).toEqual({
      mode: 'database',
      cacheMs: 0,
    });
    expect(() => placementConfig({ PLACEMENT_MODE: 'schema' })).toThrow(/PLACEMENT_MODE/);
    expect(() => placementConfig({ PLACEMENT_CACHE_SECONDS: '61' })).toThrow(/PLACEMENT_CACHE_SECONDS/);
  });

  it('leave room in the tenant database name for the organizations own databases', () => {
    expect(databaseConfig({ MONGODB_URI: 'x', TENANT_DB_NAME: 'a'.repeat(38) }).tenantDb).toHaveLength(38);
    expect(() => databaseConfig({ MONGODB_URI: 'x', TENANT_DB_NAME: 'a'.repeat(39) })).toThrow(
      /TENANT_DB_NAME: must be at most 38/,
    );
  });
});
