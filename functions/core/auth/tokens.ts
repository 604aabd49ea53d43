import { randomUUID } from 'node:crypto';
import { type CryptoKey, createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
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

export interface SignerOptions {
  readonly privateKey: string;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export function createTokenSigner(options: SignerOptions): TokenSigner {
  const jwk = JSON.parse(options.privateKey) as JWK;
  if (!jwk.kid || !jwk.d) throw new Error('The signing key must be a private JWK with a kid');
  const alg = jwk.alg ?? 'EdDSA';
  const kid = jwk.kid;
  let key: Promise<CryptoKey | Uint8Array> | undefined;

  return {
    async sign(caller) {
      key ??= importJWK(jwk, alg);
      const token = await new SignJWT({ org: caller.orgId })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setSubject(caller.adminId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(`${options.ttlSeconds}s`)
        .setJti(randomUUID())
        .sign(await key);
      return { token, expiresIn: options.ttlSeconds };
    },
  };
}

export interface VerifierOptions {
  readonly publicKeys: string;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds?: number;
}

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keys = createLocalJWKSet(JSON.parse(options.publicKeys));
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keys, {
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
