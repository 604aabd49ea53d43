import { PromiseCache } from '../cache.ts';
import { UnauthorizedError } from '../errors.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { RevocationStore } from './stores.ts';
import type { Caller, TokenVerifier } from './tokens.ts';

/**
 * What the authorizer checks on every request: a valid signature and claims, then revocation in the
 * database: the token itself (logout), its session (logout, refresh token reuse), and the admin's
 * token version (logout everywhere, credential change, deletion of the admin or the organization).
 *
 * Database answers are cached per container for `cacheMs`, so a revoked token may still pass for
 * at most that long here, plus API Gateway's own authorizer cache TTL in front of it.
 */

export interface GuardDeps {
  readonly verifier: TokenVerifier;
  readonly admins: Pick<AdminStore, 'findById'>;
  readonly revocations: RevocationStore;
  readonly cacheMs: number;
  readonly now?: () => Date;
  /** Entries kept at most; the cache is cleared when it grows past this. */
  readonly maxEntries?: number;
}

const revoked = () => new UnauthorizedError('token_revoked', 'The access token has been revoked.');

export class TokenGuard {
  readonly #deps: GuardDeps;
  readonly #now: () => Date;
  readonly #cache: PromiseCache<string, unknown>;

  constructor(deps: GuardDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#cache = new PromiseCache({
      maxAgeMs: deps.cacheMs,
      maxEntries: deps.maxEntries ?? 10_000,
      now: () => this.#now().getTime(),
    });
  }

  async #cached<T>(key: string, load: () => Promise<T>, stale?: (value: T) => boolean): Promise<T> {
    const value = (await this.#cache.get(key, load)) as T;
    return stale?.(value) ? ((await this.#cache.get(key, load, { fresh: true })) as T) : value;
  }

  /** The caller a token speaks for; {@link UnauthorizedError} when it is invalid or revoked. */
  async check(token: string): Promise<Caller> {
    const claims = await this.#deps.verifier.verify(token);
    const [version, revokedKeys] = await Promise.all([
      this.#cached(
        `admin:${claims.adminId}`,
        async () => {
          const admin = await this.#deps.admins.findById(claims.adminId);
          return admin && admin.orgId === claims.orgId ? admin.tokenVersion : null;
        },
        // Versions only grow: a token newer than what we remember means our memory is old.
        (version) => version !== null && version < claims.tokenVersion,
      ),
      this.#cached(`revoked:${claims.tokenId}:${claims.sessionId}`, () =>
        this.#deps.revocations.revoked([`jti:${claims.tokenId}`, `sid:${claims.sessionId}`], this.#now()),
      ),
    ]);
    if (version === null || version !== claims.tokenVersion || revokedKeys.length > 0) throw revoked();
    return {
      adminId: claims.adminId,
      orgId: claims.orgId,
      sessionId: claims.sessionId,
      tokenId: claims.tokenId,
      expiresAt: claims.expiresAt,
    };
  }
}
