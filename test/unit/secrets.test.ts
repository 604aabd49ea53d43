import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '#core/errors.ts';
import { resolveMongoUri } from '#core/mongo/client.ts';
import { clearSecretCache, EXTENSION_DEADLINE_MS, extensionReader, getSecretString, readSecretSource } from '#core/secrets.ts';
import { startSecretsStandIn } from '../../bin/cold-start/secrets-stand-in.ts';

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

describe('extensionReader', () => {
  it('reads a secret through the Parameters and Secrets extension, sending the session token', async () => {
    const extension = await startSecretsStandIn({ 'arn:db': 'mongodb://through-extension/' });
    try {
      const read = extensionReader(extension.port, () => 'session-token');

      expect(await read('arn:db')).toBe('mongodb://through-extension/');
      expect(extension.requested).toEqual(['arn:db']);
      // Without the session token the extension refuses: a configuration fault, not an outage.
      await expect(extensionReader(extension.port, () => undefined)('arn:db')).rejects.not.toBeInstanceOf(UnavailableError);
      await expect(read('arn:missing')).rejects.toThrow(/arn:missing could not be read: the extension answered 400/);
    } finally {
      await extension.close();
    }
  });

  it('is an outage (503) when the extension cannot be reached', async () => {
    const extension = await startSecretsStandIn({});
    const port = extension.port;
    await extension.close();

    await expect(extensionReader(port, () => 't')('arn:db')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('is what getSecretString uses when PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is set', async () => {
    const extension = await startSecretsStandIn({ 'arn:keys': '{"keys":[]}' });
    const saved = { port: process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, token: process.env.AWS_SESSION_TOKEN };
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String(extension.port);
    process.env.AWS_SESSION_TOKEN = 't';
    try {
      expect(await getSecretString('arn:keys')).toBe('{"keys":[]}');
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
      expect(extension.requested).toEqual(['arn:keys']);
    } finally {
      restore('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', saved.port);
      restore('AWS_SESSION_TOKEN', saved.token);
      await extension.close();
    }
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

describe('extensionReader on a secret without a value', () => {
  it('names the refusal as the SDK does (ResourceNotFoundException), so "not filled yet" reads the same', async () => {
    const extension = await startSecretsStandIn({});
    try {
      await expect(extensionReader(extension.port, () => 't')('arn:empty')).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    } finally {
      await extension.close();
    }
  });
});

describe('extensionReader when Secrets Manager or the extension cannot answer now', () => {
  it('is an outage (503) when the extension passes on a throttling error in a 400', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(400).end('ThrottlingException: Rate exceeded');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(extensionReader(port, () => 't')('arn:db')).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      server.close();
    }
  });

  it('gives up after its deadline, as an outage, when the extension accepts the call and never answers', async () => {
    const server = createServer(() => {}); // holds every request open
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const started = performance.now();
      await expect(extensionReader(port, () => 't')('arn:db')).rejects.toBeInstanceOf(UnavailableError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(EXTENSION_DEADLINE_MS - 50);
      expect(performance.now() - started).toBeLessThan(EXTENSION_DEADLINE_MS + 1_000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
