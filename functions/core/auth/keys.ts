import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * Signing key sets and their rotation. The private side holds only the current signing key; the
 * public side holds the current key and, after a rotation, the previous one, so tokens signed just
 * before a rotation keep working until they expire. Retiring drops every key but the current one.
 */

export interface KeySet {
  /** The current private signing key (JWK with `kid` and `alg`). */
  readonly privateKey: JWK;
  /** The JWK Set verifiers accept: current first, then the previous key if not retired. */
  readonly publicKeys: { keys: JWK[] };
}

export async function newKeySet(now = new Date()): Promise<KeySet> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = `${now.toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return {
    privateKey: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' },
    publicKeys: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] },
  };
}

/** A new current key; the old current key stays verifiable as the previous one. */
export async function rotateKeySet(current: KeySet, now = new Date()): Promise<KeySet> {
  const next = await newKeySet(now);
  const previous = current.publicKeys.keys.find((k) => k.kid === current.privateKey.kid);
  return {
    privateKey: next.privateKey,
    publicKeys: { keys: [...next.publicKeys.keys, ...(previous ? [previous] : [])] },
  };
}

/** Drops every public key but the current one: tokens signed with older keys stop working. */
export function retirePreviousKeys(current: KeySet): KeySet {
  return {
    privateKey: current.privateKey,
    publicKeys: { keys: current.publicKeys.keys.filter((k) => k.kid === current.privateKey.kid) },
  };
}
