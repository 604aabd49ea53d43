import { describe, expect, it } from 'vitest';
import { databaseConfig, placementConfig } from '#core/config.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import { PlacementPolicy } from '#core/tenancy/placement-policy.ts';

const orgId = '65f1c0ffee0123456789abcd';

describe('Placement policy', () => {
  it('places new organizations in the deployment mode, each place with a new name and a new generation', () => {
    const byCollection = new PlacementPolicy('tenants', 'collection', collectionLabel);
    const byDatabase = new PlacementPolicy('tenants', 'database', collectionLabel);

    const a = byCollection.forNew({ slug: 'acme' });
    const b = byCollection.forNew({ slug: 'acme' });
    const c = byDatabase.forNew({ slug: 'acme' });

    expect(a).toEqual({
      mode: 'collection',
      database: 'tenants',
      collection: expect.stringMatching(/^org_acme_[0-9a-f]{10}$/),
      gen: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(b.gen).not.toBe(a.gen);
    expect(b.collection).not.toBe(a.collection);
    expect(c).toEqual({
      mode: 'database',
      database: expect.stringMatching(/^tenants_[0-9a-f]{24}$/),
      collection: 'records',
      gen: expect.any(String),
    });
    expect(byDatabase.forNew({ slug: 'acme' }).database).not.toBe(c.database);
    expect(byCollection.forNew({ slug: 'acme' }, 'database').mode).toBe('database');
  });

  it('renames a collection-mode place to a name it never had, and keeps a database-mode place as it is', () => {
    const policy = new PlacementPolicy('tenants', 'collection', collectionLabel);
    const inCollection = policy.forNew({ slug: 'acme' });
    const inDatabase = policy.forNew({ slug: 'acme' }, 'database');

    const renamed = policy.forRename(inCollection, 'acme_global');
    expect(renamed).toEqual({ ...inCollection, collection: expect.stringMatching(/^org_acme_global_[0-9a-f]{10}$/) });
    const back = policy.forRename(renamed, 'acme');
    expect(back.collection).toMatch(/^org_acme_[0-9a-f]{10}$/);
    expect(back.collection).not.toBe(inCollection.collection);
    expect(policy.forRename(inDatabase, 'acme_global')).toBe(inDatabase);
  });

  it("knows this deployment's places and nobody else's", () => {
    const policy = new PlacementPolicy('tenants', 'collection', collectionLabel);

    expect(policy.isTenantPlace({ database: 'tenants', collection: 'org_acme' })).toBe(true);
    expect(policy.isTenantPlace({ database: `tenants_${orgId}`, collection: 'records' })).toBe(true);
    expect(policy.isTenantPlace({ database: 'tenants', collection: 'system.views' })).toBe(false);
    expect(policy.isTenantDatabase(`tenants_${orgId}`)).toBe(true);
    expect(policy.isTenantDatabase('tenants_other')).toBe(false);
    expect(policy.isTenantDatabase(`tenants2_${orgId}`)).toBe(false);
  });
});

describe('Collection labels', () => {
  it('keep the readable part of a slug, bounded, and may be empty', () => {
    expect(collectionLabel('acme_corp')).toBe('acme_corp');
    expect(collectionLabel('a'.repeat(200))).toHaveLength(40);
    expect(collectionLabel(`${'a'.repeat(39)}_b`)).toBe('a'.repeat(39));
    expect(collectionLabel('')).toBe('');
    expect(new PlacementPolicy('tenants', 'collection', collectionLabel).forNew({ slug: '' }).collection).toMatch(
      /^org_[0-9a-f]{10}$/,
    );
    // A function that names no places does not load the transliteration: its names are as unique.
    expect(new PlacementPolicy('tenants').forNew({ slug: 'acme' }).collection).toMatch(/^org_[0-9a-f]{10}$/);
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
