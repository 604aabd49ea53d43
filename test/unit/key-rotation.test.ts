import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { type KeySet, newKeySet, retirePreviousKeys, rotateKeySet } from '#core/auth/keys.ts';
import { createTokenSigner, createTokenVerifier } from '#core/auth/tokens.ts';
import { writeKeyFile } from '../../bin/local-api/keys.ts';
import { fileKeyStore, rotate, secretsKeyStore } from '../../bin/rotate-keys.ts';

const claims = { userId: 'a', orgId: 'o', sessionId: 's', tokenVersion: 0 };
const opts = { issuer: 'orgs-service', audience: 'orgs-api', ttlSeconds: 600 };
const sign = (keys: KeySet) => createTokenSigner({ ...opts, privateKey: JSON.stringify(keys.privateKey) }).sign(claims);
const verifierFor = (keys: KeySet) => createTokenVerifier({ ...opts, publicKeys: JSON.stringify(keys.publicKeys) });

describe('Key rotation', () => {
  it('keeps tokens of the previous key valid until that key is retired', async () => {
    const first = await newKeySet();
    const old = await sign(first);

    const rotated = await rotateKeySet(first);
    const fresh = await sign(rotated);
    const retired = retirePreviousKeys(rotated);

    expect(rotated.privateKey.kid).not.toBe(first.privateKey.kid);
    await expect(verifierFor(rotated).verify(old.token)).resolves.toMatchObject({ userId: 'a' });
    await expect(verifierFor(rotated).verify(fresh.token)).resolves.toMatchObject({ userId: 'a' });
    await expect(verifierFor(retired).verify(old.token)).rejects.toMatchObject({ name: 'UnauthorizedError' });
    await expect(verifierFor(retired).verify(fresh.token)).resolves.toMatchObject({ userId: 'a' });
  });

  it('lets a running verifier pick up a key rotated in after it loaded its set', async () => {
    let current = await newKeySet();
    const verifier = createTokenVerifier({
      ...opts,
      publicKeys: async () => JSON.stringify(current.publicKeys),
      unknownKidRetryMs: 0,
    });
    await verifier.verify((await sign(current)).token);

    current = await rotateKeySet(current);

    await expect(verifier.verify((await sign(current)).token)).resolves.toMatchObject({ orgId: 'o' });
  });
});

describe('bin/rotate-keys', () => {
  it('creates a first key set for empty secrets', async () => {
    const written: string[] = [];
    const store = {
      read: async () => {
        throw new Error('empty secret');
      },
      writePublic: async (keys: KeySet) => {
        written.push(`public:${keys.publicKeys.keys[0]?.kid}`);
      },
      writePrivate: async (keys: KeySet) => {
        written.push(`private:${keys.privateKey.kid}`);
      },
    };

    const keys = await rotate(store, { init: true });

    expect(written).toEqual([`public:${keys.privateKey.kid}`, `private:${keys.privateKey.kid}`]);
    await expect(verifierFor(keys).verify((await sign(keys)).token)).resolves.toMatchObject({ userId: 'a' });
  });

  it('rotates and retires a local key file', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'keys-')), 'jwt-keys.json');
    const first = await newKeySet();
    await writeKeyFile(file, first);

    await rotate(fileKeyStore(file), { retire: false });
    const rotated = JSON.parse(await readFile(file, 'utf8')) as KeySet;
    await rotate(fileKeyStore(file), { retire: true });
    const retired = JSON.parse(await readFile(file, 'utf8')) as KeySet;

    expect(rotated.publicKeys.keys.map((k) => k.kid)).toEqual([rotated.privateKey.kid, first.privateKey.kid]);
    expect(retired.publicKeys.keys.map((k) => k.kid)).toEqual([rotated.privateKey.kid]);
    expect(retired.privateKey).toEqual(rotated.privateKey);
  });

  it('publishes the new public key before switching the signing key in Secrets Manager', async () => {
    const sm = mockClient(SecretsManagerClient);
    const first = await newKeySet();
    sm.on(GetSecretValueCommand, { SecretId: 'private' }).resolves({ SecretString: JSON.stringify(first.privateKey) });
    sm.on(GetSecretValueCommand, { SecretId: 'public' }).resolves({ SecretString: JSON.stringify(first.publicKeys) });
    sm.on(PutSecretValueCommand).resolves({});

    const next = await rotate(await secretsKeyStore('private', 'public'), { retire: false });

    const puts = sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.SecretId)).toEqual(['public', 'private']);
    expect(JSON.parse(puts[0]?.SecretString ?? '').keys.map((k: { kid: string }) => k.kid)).toEqual([
      next.privateKey.kid,
      first.privateKey.kid,
    ]);
    expect(JSON.parse(puts[1]?.SecretString ?? '').kid).toBe(next.privateKey.kid);
    sm.restore();
  });
});
