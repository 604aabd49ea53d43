import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

/**
 * Signing keys for local runs: JWT_PRIVATE_KEY / JWT_PUBLIC_KEYS when set, else a key pair generated
 * on first start into a git-ignored file, so tokens survive restarts.
 */
export async function ensureLocalKeys(file: string): Promise<void> {
  if (process.env.JWT_PRIVATE_KEY && process.env.JWT_PUBLIC_KEYS) return;
  if (!existsSync(file)) {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const kid = `local-${new Date().toISOString().slice(0, 10)}`;
    const keys = {
      privateKey: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' },
      publicKeys: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] },
    };
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  }
  const keys = JSON.parse(await readFile(file, 'utf8')) as { privateKey: object; publicKeys: object };
  process.env.JWT_PRIVATE_KEY = JSON.stringify(keys.privateKey);
  process.env.JWT_PUBLIC_KEYS = JSON.stringify(keys.publicKeys);
}
