import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveMongoUri } from '#core/mongo/client.ts';
import { clearSecretCache, getSecretString, readSecretSource } from '#core/secrets.ts';

const secrets = mockClient(SecretsManagerClient);

afterEach(() => {
  secrets.reset();
  clearSecretCache();
});

describe('getSecretString', () => {
  it('fetches a secret once per container', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'db-uri' }).resolves({ SecretString: 'mongodb+srv://cluster/' });

    const values = await Promise.all([getSecretString('db-uri'), getSecretString('db-uri'), getSecretString('db-uri')]);

    expect(values).toEqual(Array(3).fill('mongodb+srv://cluster/'));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('does not cache a failure', async () => {
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: 'value' });

    await expect(getSecretString('flaky')).rejects.toThrow('throttled');
    await expect(getSecretString('flaky')).resolves.toBe('value');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('rejects a secret without a string value', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });

    await expect(getSecretString('binary')).rejects.toThrow(/no string value/);
  });
});

describe('resolveMongoUri', () => {
  const base = { masterDb: 'm', tenantDb: 't', maxPoolSize: 4, serverSelectionTimeoutMS: 5000 };

  it('prefers MONGODB_URI and otherwise reads the secret', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:secret' }).resolves({ SecretString: ' mongodb://from-secret/ \n' });

    expect(await resolveMongoUri({ ...base, uri: 'mongodb://local/' })).toBe('mongodb://local/');
    expect(await resolveMongoUri({ ...base, secretId: 'arn:secret' })).toBe('mongodb://from-secret/');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });
});

describe('readSecretSource', () => {
  it('uses an inline value without calling AWS, else the secret', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'jwt-public-keys' }).resolves({ SecretString: '{"keys":[]}' });

    expect(await readSecretSource({ value: 'inline', secretId: 'jwt-public-keys' })).toBe('inline');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(await readSecretSource({ secretId: 'jwt-public-keys' })).toBe('{"keys":[]}');
    await expect(readSecretSource({})).rejects.toThrow(/Neither/);
  });
});
