import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type KeySet, newKeySet } from '#core/auth/keys.ts';

/**
 * Signing keys for local runs: JWT_PRIVATE_KEY / JWT_PUBLIC_KEYS when set, else a key set generated
 * on first start into a git-ignored file, so tokens survive restarts (`npm run keys:rotate` rotates it).
 */

export async function readKeyFile(file: string): Promise<KeySet> {
  return JSON.parse(await readFile(file, 'utf8')) as KeySet;
}

export async function writeKeyFile(file: string, keys: KeySet): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
}

export async function ensureLocalKeys(file: string): Promise<void> {
  if (process.env.JWT_PRIVATE_KEY && process.env.JWT_PUBLIC_KEYS) return;
  if (!existsSync(file)) await writeKeyFile(file, await newKeySet());
  const keys = await readKeyFile(file);
  process.env.JWT_PRIVATE_KEY = JSON.stringify(keys.privateKey);
  process.env.JWT_PUBLIC_KEYS = JSON.stringify(keys.publicKeys);
}
