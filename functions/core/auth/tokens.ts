import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, errors, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { PromiseCache } from '../cache.ts';
import { UnauthorizedError } from '../errors.ts';

/**
 * Access tokens: EdDSA (Ed25519) JWTs. The login and refresh functions hold the current private key;
 * the authorizer holds only the public key set (current and previous keys) and picks a key by `kid`.
 * Both re-read their keys now and then, so a rotation reaches every container without a deploy.
 */

export const TOKEN_ALGORITHMS = ['EdDSA'] as const;

/**
 * Who is calling, as proven by a verified access token and the caller's membership: the user, the
 * active organization, and the role the user holds in it now (looked up by the authorizer, so a
 * role change or a removal reaches every token within the revocation bound).
 */
export interface Caller {
  readonly userId: string;
  /** The active organization (the token's `org` claim). */
  readonly orgId: string;
  /** The caller's role in the active organization. */
  readonly role: string;
  /** What that role allows (see `#core/members/permissions.ts`). */
  readonly permissions: readonly string[];
  /**
   * `unverified` when the authorizer could not reach the database and did not know the caller's
   * membership: the caller has no permission, and a route that needs one answers 503.
   */
  readonly membership?: 'unverified';
  /** The session (refresh token family) the token belongs to. */
  readonly sessionId?: string;
  /** The token's own id (`jti`). */
  readonly tokenId?: string;
  /** The token's expiry, seconds since the epoch. */
  readonly expiresAt?: number;
  /**
   * `missing` when the active organization requires two-factor authentication and this session
   * began without it: the caller may manage their own account (and enrol) but not act on the
   * organization (403 `two_factor_required`).
   */
  readonly twoFactor?: 'missing';
  /** The session began with a second factor (the token's `amr` holds `otp`, RFC 8176). */
  readonly mfa?: true;
  /**
   * `archived` when the active organization is archived (deleted, within its retention window): the
   * caller may manage their own account and restore it, but not act on it (403 `organization_archived`).
   */
  readonly organization?: 'archived';
}

/** Who the caller is, without what they may do: what the organization and records services need. */
export type CallerIdentity = Pick<Caller, 'userId' | 'orgId'>;

/** What a verified token says, before revocation is checked. */
export interface VerifiedToken {
  /** The user (`sub`). */
  readonly userId: string;
  readonly orgId: string;
  readonly sessionId: string;
  readonly tokenId: string;
  readonly tokenVersion: number;
  readonly expiresAt: number;
  /** From the `tfa` claim; see {@link Caller.twoFactor}. */
  readonly twoFactor?: 'missing';
  /** `amr` holds `otp`. */
  readonly mfa?: true;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

export interface TokenClaims {
  /** The user (`sub`). */
  readonly userId: string;
  readonly orgId: string;
  readonly sessionId: string;
  readonly tokenVersion: number;
  /** The session began with a second factor: `amr` is `["pwd","otp","mfa"]`, else `["pwd"]` (RFC 8176). */
  readonly mfa?: boolean;
  /** The organization requires a second factor the session lacks: the `tfa` claim is `missing`. */
  readonly twoFactorMissing?: boolean;
}

export interface TokenSigner {
  sign(claims: TokenClaims): Promise<IssuedToken>;
}

export interface TokenVerifier {
  /** The claims of a valid token; throws {@link UnauthorizedError} for any bad token. */
  verify(token: string): Promise<VerifiedToken>;
}

/** Key material as JSON; `fresh` asks for a new read instead of a cached one. */
export type KeyMaterial = string | ((options: { fresh: boolean }) => Promise<string>);

const read = (key: KeyMaterial, fresh: boolean): Promise<string> =>
  typeof key === 'string' ? Promise.resolve(key) : key({ fresh });

/** A value loaded now and again: re-loaded after `maxAgeMs`, or at once when forced. */
function reloading<T>(load: (fresh: boolean) => Promise<T>, maxAgeMs: number) {
  const cache = new PromiseCache<true, T>({ maxAgeMs, metric: 'keys' });
  return (force = false): Promise<T> => cache.get(true, () => load(force), { fresh: force });
}

export interface SignerOptions {
  readonly privateKey: KeyMaterial;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  /** How often the key is re-read (default 5 minutes). */
  readonly keyMaxAgeMs?: number;
}

export function createTokenSigner(options: SignerOptions): TokenSigner {
  const signingKey = reloading(async (fresh) => {
    const jwk = JSON.parse(await read(options.privateKey, fresh)) as JWK;
    if (!jwk.kid || !jwk.d) throw new Error('The signing key must be a private JWK with a kid');
    const alg = jwk.alg ?? 'EdDSA';
    return { alg, kid: jwk.kid, key: await importJWK(jwk, alg) };
  }, options.keyMaxAgeMs ?? 300_000);

  return {
    async sign(claims) {
      const { alg, kid, key } = await signingKey();
      const token = await new SignJWT({
        org: claims.orgId,
        sid: claims.sessionId,
        ver: claims.tokenVersion,
        amr: claims.mfa ? ['pwd', 'otp', 'mfa'] : ['pwd'],
        ...(claims.twoFactorMissing ? { tfa: 'missing' } : {}),
      })
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setSubject(claims.userId)
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
  /** How often the key set is re-read (default 5 minutes). */
  readonly keyMaxAgeMs?: number;
  /** The soonest the key set is re-read for a token with an unknown `kid` (default 30 s). */
  readonly unknownKidRetryMs?: number;
}

const invalid = (cause: unknown) =>
  new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.', { cause });

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const keySet = reloading(
    async (fresh) => createLocalJWKSet(JSON.parse(await read(options.publicKeys, fresh))),
    options.keyMaxAgeMs ?? 300_000,
  );
  let lastForcedReload = 0;

  async function check(token: string, jwks: Awaited<ReturnType<typeof keySet>>): Promise<VerifiedToken> {
    const { payload } = await jwtVerify(token, jwks, {
      algorithms: [...TOKEN_ALGORITHMS],
      issuer: options.issuer,
      audience: options.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'org', 'sid', 'ver'],
      clockTolerance: options.clockToleranceSeconds ?? 5,
      typ: 'JWT',
    });
    const { sub, org, sid, ver, jti, exp, tfa, amr } = payload;
    if (typeof sub !== 'string' || typeof org !== 'string' || typeof sid !== 'string' || typeof jti !== 'string') {
      throw new Error('token claims have the wrong types');
    }
    if (typeof ver !== 'number' || !Number.isInteger(ver) || typeof exp !== 'number') throw new Error('bad ver or exp');
    return {
      userId: sub,
      orgId: org,
      sessionId: sid,
      tokenId: jti,
      tokenVersion: ver,
      expiresAt: exp,
      ...(tfa === 'missing' ? { twoFactor: 'missing' as const } : {}),
      ...(Array.isArray(amr) && amr.includes('otp') ? { mfa: true as const } : {}),
    };
  }

  return {
    async verify(token) {
      const jwks = await keySet(); // a key-loading failure is ours, not the caller's: it is not a 401
      try {
        return await check(token, jwks);
      } catch (error) {
        // A kid we do not know may be a key rotated in since we last looked: look again, rarely.
        const retryMs = options.unknownKidRetryMs ?? 30_000;
        if (error instanceof errors.JWKSNoMatchingKey && Date.now() - lastForcedReload >= retryMs) {
          lastForcedReload = Date.now();
          try {
            return await check(token, await keySet(true));
          } catch (retryError) {
            throw invalid(retryError);
          }
        }
        throw invalid(error);
      }
    },
  };
}
