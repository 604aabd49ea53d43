#!/usr/bin/env node
/**
 * Rotates the JWT signing keys, or retires the previous ones.
 *
 *   node bin/rotate-keys.ts [--init | --retire] [--file .local/jwt-keys.json]
 *   node bin/rotate-keys.ts --aws [--init | --retire]   (uses JWT_PRIVATE_KEY_SECRET_ID and JWT_PUBLIC_KEYS_SECRET_ID)
 *
 * `--init` writes a first key set (a new stage's empty secrets); it replaces whatever was there.
 *
 * A rotation publishes the new public key first and switches the signing key second, so no verifier
 * ever meets a token signed with a key it cannot find. Retire the previous key once every token signed
 * with it has expired (the access token lifetime, 30 minutes by default) and the containers' key
 * caches have refreshed (JWT_KEYS_MAX_AGE_SECONDS).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type KeySet, newKeySet, retirePreviousKeys, rotateKeySet } from '#core/auth/keys.ts';
import { readKeyFile, writeKeyFile } from './local-api/keys.ts';

export interface KeyStore {
  read(): Promise<KeySet>;
  writePublic(keys: KeySet): Promise<void>;
  writePrivate(keys: KeySet): Promise<void>;
}

/** Rotates (or retires, or first creates) the keys in `store`; returns the new set. */
export async function rotate(store: KeyStore, options: { retire?: boolean; init?: boolean }): Promise<KeySet> {
  if (options.init) {
    const first = await newKeySet();
    await store.writePublic(first);
    await store.writePrivate(first);
    return first;
  }
  const current = await store.read();
  if (options.retire) {
    const retired = retirePreviousKeys(current);
    await store.writePublic(retired);
    return retired;
  }
  const next = await rotateKeySet(current);
  await store.writePublic(next);
  await store.writePrivate(next);
  return next;
}

export function fileKeyStore(file: string): KeyStore {
  let latest: KeySet | undefined;
  return {
    read: async () => {
      latest = await readKeyFile(file);
      return latest;
    },
    writePublic: async (keys) => {
      latest = { privateKey: latest?.privateKey ?? keys.privateKey, publicKeys: keys.publicKeys };
      await writeKeyFile(file, latest);
    },
    writePrivate: async (keys) => {
      latest = { privateKey: keys.privateKey, publicKeys: latest?.publicKeys ?? keys.publicKeys };
      await writeKeyFile(file, latest);
    },
  };
}

export async function secretsKeyStore(privateSecretId: string, publicSecretId: string): Promise<KeyStore> {
  const { SecretsManagerClient, GetSecretValueCommand, PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const get = async (id: string) => (await client.send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '';
  const put = (id: string, value: unknown) =>
    client.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }));
  return {
    read: async () => ({ privateKey: JSON.parse(await get(privateSecretId)), publicKeys: JSON.parse(await get(publicSecretId)) }),
    writePublic: async (keys) => {
      await put(publicSecretId, keys.publicKeys);
    },
    writePrivate: async (keys) => {
      await put(privateSecretId, keys.privateKey);
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      init: { type: 'boolean', default: false },
      retire: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      file: { type: 'string' },
    },
  });
  let store: KeyStore;
  if (values.aws) {
    const privateId = process.env.JWT_PRIVATE_KEY_SECRET_ID;
    const publicId = process.env.JWT_PUBLIC_KEYS_SECRET_ID;
    if (!privateId || !publicId) {
      console.error('Set JWT_PRIVATE_KEY_SECRET_ID and JWT_PUBLIC_KEYS_SECRET_ID (see the stack outputs).');
      process.exit(2);
    }
    store = await secretsKeyStore(privateId, publicId);
  } else {
    store = fileKeyStore(values.file ?? join(import.meta.dirname, '..', '.local', 'jwt-keys.json'));
  }
  const keys = await rotate(store, { retire: values.retire });
  console.log(
    `${values.retire ? 'Retired previous keys' : 'Rotated'}: signing kid ${keys.privateKey.kid}; verifiable kids ${keys.publicKeys.keys.map((k) => k.kid).join(', ')}`,
  );
}
