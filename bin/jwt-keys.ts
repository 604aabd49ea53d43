#!/usr/bin/env node
/**
 * Writes a new Ed25519 signing key pair for a deployed stage, as the two secrets expect it:
 *
 *   node bin/jwt-keys.ts --out keys/ [--kid 2026-05-01] [--keep current-public-keys.json]
 *
 * - keys/jwt-private-key.json: the private JWK (put it in <prefix>/jwt-private-key)
 * - keys/jwt-public-keys.json: the public JWK Set (put it in <prefix>/jwt-public-keys); with --keep,
 *   the keys of an existing set follow the new one, so tokens signed before a rotation still verify.
 *
 * Both files are written with mode 600 and never overwritten; delete them once stored.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    kid: { type: 'string', default: new Date().toISOString().slice(0, 10) },
    keep: { type: 'string' },
  },
});
if (!values.out) {
  console.error('usage: node bin/jwt-keys.ts --out <dir> [--kid <key id>] [--keep <current public JWK Set file>]');
  process.exit(2);
}

const kept: JWK[] = values.keep ? (JSON.parse(await readFile(values.keep, 'utf8')) as { keys: JWK[] }).keys : [];
if (kept.some((key) => key.kid === values.kid)) {
  console.error(`The kept set already has a key with kid "${values.kid}"; choose another --kid.`);
  process.exit(1);
}
const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
const files = {
  'jwt-private-key.json': { ...(await exportJWK(privateKey)), kid: values.kid, alg: 'EdDSA' },
  'jwt-public-keys.json': { keys: [{ ...(await exportJWK(publicKey)), kid: values.kid, alg: 'EdDSA', use: 'sig' }, ...kept] },
};
await mkdir(values.out, { recursive: true });
for (const [name, content] of Object.entries(files)) {
  const path = join(values.out, name);
  if (existsSync(path)) {
    console.error(`${path} exists; not overwriting it.`);
    process.exit(1);
  }
  await writeFile(path, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  console.log(`Wrote ${path}`);
}
