import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../errors.ts';

/**
 * Access tokens: EdDSA (Ed25519) JWTs. The login function holds the private key; the authorizer
 * holds only the public key set and picks the key by `kid`.
 */

export const TOKEN_ALGORITHMS = ['EdDSA'] as const;

/** Who is calling, as proven by a verified token. */
export interface Caller {
  readonly adminId: string;
  readonly orgId: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

export interface TokenSigner {
  sign(caller: Caller): Promise<IssuedToken>;
}

export interface TokenVerifier {
  /** The caller a token speaks for; throws {@link UnauthorizedError} for any bad token. */
  verify(token: string): Promise<Caller>;
}

/** Key material as JSON, or where to get it (read once, on first use). */
export type KeyMaterial = string | (() => Promise<string>);

const material = (key: KeyMaterial): Promise<string> => (typeof key === 'string' ? Promise.resolve(key) : key());

export interface SignerOptions {
  readonly privateKey: KeyMaterial;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

async function importSigningKey(key: KeyMaterial) {
  const jwk = JSON.parse(await material(key)) as JWK;
  if (!jwk.kid || !jwk.d) throw new Error('The signing key must be a private JWK with a kid');
  const alg = jwk.alg ?? 'EdDSA';
  return { alg, kid: jwk.kid, key: await importJWK(jwk, alg) };
}

export function createTokenSigner(options: SignerOptions): TokenSigner {
  let signing: ReturnType<typeof importSigningKey> | undefined;

  return {
    async sign(caller) {
      if (!signing) {
        signing = importSigningKey(options.privateKey);
        signing.catch(() => {
          signing = undefined;
        });
      }
      const { alg, kid, key } = await signing;
      const token = await new SignJWT({ org: caller.orgId })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setSubject(caller.adminId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: options.ttlSeconds };
    },
  };
}

export interface VerifierOptions {
  readonly publicKeys: KeyMaterial;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds?: number;
}

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  let keySet: Promise<ReturnType<typeof createLocalJWKSet>> | undefined;
  const keys = () => {
    if (!keySet) {
      keySet = material(options.publicKeys).then((json) => createLocalJWKSet(JSON.parse(json)));
      keySet.catch(() => {
        keySet = undefined;
      });
    }
    return keySet;
  };
  return {
    async verify(token) {
      const jwks = await keys(); // a key-loading failure is ours, not the caller's: it is not a 401
      try {
        const { payload } = await jwtVerify(token, jwks, {
          algorithms: [...TOKEN_ALGORITHMS],
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'iat', 'sub', 'org', 'jti'],
          clockTolerance: options.clockToleranceSeconds ?? 5,
        });
        if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') {
          throw new Error('token subject or organization is not a string');
        }
        return { adminId: payload.sub, orgId: payload.org };
      } catch (error) {
        throw new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.', {
          cause: error,
        });
      }
    },
  };
}
