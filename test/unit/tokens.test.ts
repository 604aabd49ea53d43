import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner, createTokenVerifier, type TokenVerifier } from '#core/auth/tokens.ts';
import { UnauthorizedError } from '#core/errors.ts';
import { bearerToken } from '../../functions/authorizer/handler.ts';

const options = { issuer: 'orgs-service', audience: 'orgs-api' };
let privateKey: CryptoKey;
let verifier: TokenVerifier;
let privateJwk: string;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  privateKey = pair.privateKey;
  privateJwk = JSON.stringify({ ...(await exportJWK(pair.privateKey)), kid: 'k1', alg: 'EdDSA' });
  verifier = createTokenVerifier({
    ...options,
    publicKeys: JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] }),
  });
});

function token(claims: Record<string, unknown>, edit?: (jwt: SignJWT) => SignJWT) {
  let jwt = new SignJWT({ org: 'org-1', sid: 's-1', ver: 0, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject('admin-1')
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setJti('j')
    .setExpirationTime('10m');
  if (edit) jwt = edit(jwt);
  return jwt.sign(privateKey);
}

describe('Token signer and verifier', () => {
  it('round-trips the caller', async () => {
    const signer = createTokenSigner({ ...options, privateKey: privateJwk, ttlSeconds: 1800 });

    const issued = await signer.sign({ userId: 'admin-9', orgId: 'org-9', sessionId: 'session-9', tokenVersion: 3 });

    expect(issued.expiresIn).toBe(1800);
    expect(await verifier.verify(issued.token)).toEqual({
      userId: 'admin-9',
      orgId: 'org-9',
      sessionId: 'session-9',
      tokenVersion: 3,
      tokenId: expect.any(String),
      expiresAt: expect.any(Number),
    });
  });

  it.each([
    ['expired', () => token({}, (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 60))],
    ['wrong issuer', () => token({}, (j) => j.setIssuer('someone-else'))],
    ['wrong audience', () => token({}, (j) => j.setAudience('other-api'))],
    ['not yet valid', () => token({}, (j) => j.setNotBefore(Math.floor(Date.now() / 1000) + 600))],
    ['without an organization', () => token({ org: undefined })],
  ])('rejects a token that is %s', async (_title, make) => {
    await expect(verifier.verify(await make())).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('bearerToken', () => {
  it('accepts only the Bearer scheme with a compact JWS', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('Bearer a.b')).toBeUndefined();
    expect(bearerToken('Basic a.b.c')).toBeUndefined();
    expect(bearerToken('Bearer a.b.c extra')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
