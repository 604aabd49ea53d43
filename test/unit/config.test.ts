import { describe, expect, it } from 'vitest';
import { databaseConfig, orgsConfig, signerConfig } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';

describe('config', () => {
  it('applies defaults suited to Lambda', () => {
    const db = databaseConfig({ MONGODB_URI: 'mongodb://db/' });

    expect(db).toMatchObject({
      masterDb: 'orgs_master',
      tenantDb: 'orgs_tenants',
      maxPoolSize: 4,
      serverSelectionTimeoutMS: 5000,
    });
  });

  it('fails fast, naming each bad setting', () => {
    expect(() => databaseConfig({})).toThrow(/MONGODB_URI.*MONGODB_SECRET_ID/s);
    expect(() => databaseConfig({ MONGODB_URI: 'x', MASTER_DB_NAME: 'bad name!' })).toThrow(/MASTER_DB_NAME/);
    expect(() => signerConfig({})).toThrow(ConfigError);
  });

  it('refuses a bcrypt cost below 10 outside tests', () => {
    expect(() => orgsConfig({ BCRYPT_COST: '8', NODE_ENV: 'production' })).toThrow(/BCRYPT_COST: must be at least 10/);
    expect(orgsConfig({ BCRYPT_COST: '8', NODE_ENV: 'test' }).bcryptCost).toBe(8);
    expect(orgsConfig({}).bcryptCost).toBe(12);
  });
});
