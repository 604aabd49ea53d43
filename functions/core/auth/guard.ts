import { PromiseCache } from '../cache.ts';
import { UnauthorizedError, UnavailableError } from '../errors.ts';
import { log } from '../log.ts';
import type { AdminStore } from '../orgs/stores.ts';
import type { RevocationStore } from './stores.ts';
import type { Caller, TokenVerifier, VerifiedToken } from './tokens.ts';

/**
 * What the authorizer checks on every request: a valid signature and claims, then revocation in the
 * database: the token itself (logout), its session (logout, refresh token reuse), and the admin's
 * token version (logout everywhere, credential change, deletion of the admin or the organization).
 *
 * Database answers are cached per container for `cacheMs`, so a revoked token may still pass for
 * at most that long here, plus API Gateway's own authorizer cache TTL in front of it.
 *
 * When the database cannot answer within `lookupBudgetMs` (an outage), the guard decides from the
 * last answers this container had for the token, however old: a token it knew to be revoked is
 * refused, any other token with a valid signature is accepted. The route behind it needs the
 * database too and answers 503 while it is unreachable; the price is that a token revoked before
 * the outage, and not looked up here since, is accepted until the database answers again.
 */

export interface GuardDeps {
  readonly verifier: TokenVerifier;
  readonly admins: Pick<AdminStore, 'findById'>;
  readonly revocations: RevocationStore;
  readonly cacheMs: number;
  readonly now?: () => Date;
  /** Entries kept at most; the cache is cleared when it grows past this. */
  readonly maxEntries?: number;
  /** How long a check waits for the revocation look-up before deciding without it (ms); default 1000. */
  readonly lookupBudgetMs?: number;
}

/** The default look-up budget: it keeps the authorizer well inside its 5 s Lambda timeout. */
export const LOOKUP_BUDGET_MS = 1_000;

const revoked = () => new UnauthorizedError('token_revoked', 'The access token has been revoked.');

class LookupTimeoutError extends Error {
  constructor(ms: number) {
    super(`The revocation look-up took longer than ${ms} ms`);
    this.name = 'LookupTimeoutError';
  }
}

/** `pending`, or a {@link LookupTimeoutError} after `ms` (the look-up goes on and fills the cache). */
function within<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LookupTimeoutError(ms)), ms);
  });
  pending.catch(() => {});
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

export class TokenGuard {
  readonly #deps: GuardDeps;
  readonly #now: () => Date;
  readonly #cache: PromiseCache<string, unknown>;
  /** The last answer to each look-up, whatever its age: what an outage is decided from. */
  readonly #known = new Map<string, unknown>();

  constructor(deps: GuardDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#cache = new PromiseCache({
      maxAgeMs: deps.cacheMs,
      maxEntries: deps.maxEntries ?? 10_000,
      now: () => this.#now().getTime(),
      metric: 'revocation',
    });
  }

  async #cached<T>(key: string, load: () => Promise<T>, stale?: (value: T) => boolean): Promise<T> {
    const remembered = () =>
      load().then((value) => {
        if (this.#known.size >= (this.#deps.maxEntries ?? 10_000)) this.#known.clear();
        this.#known.set(key, value);
        return value;
      });
    const value = (await this.#cache.get(key, remembered)) as T;
    return stale?.(value) ? ((await this.#cache.get(key, remembered, { fresh: true })) as T) : value;
  }

  /** The caller a token speaks for; {@link UnauthorizedError} when it is invalid or revoked. */
  async check(token: string): Promise<Caller> {
    const claims = await this.#deps.verifier.verify(token);
    const adminKey = `admin:${claims.adminId}`;
    const revokedKey = `revoked:${claims.tokenId}:${claims.sessionId}`;
    const lookup = Promise.all([
      this.#cached(
        adminKey,
        async () => {
          const admin = await this.#deps.admins.findById(claims.adminId);
          return admin && admin.orgId === claims.orgId ? admin.tokenVersion : null;
        },
        // Versions only grow: a token newer than what we remember means our memory is old.
        (version) => version !== null && version < claims.tokenVersion,
      ),
      this.#cached(revokedKey, () =>
        this.#deps.revocations.revoked([`jti:${claims.tokenId}`, `sid:${claims.sessionId}`], this.#now()),
      ),
    ]);
    let version: number | null;
    let revokedKeys: string[];
    try {
      [version, revokedKeys] = await within(lookup, this.#deps.lookupBudgetMs ?? LOOKUP_BUDGET_MS);
    } catch (error) {
      if (!(error instanceof UnavailableError || error instanceof LookupTimeoutError)) throw error;
      return this.#decideWithoutLookup(claims, adminKey, revokedKey, error);
    }
    if (version === null || version !== claims.tokenVersion || revokedKeys.length > 0) throw revoked();
    return callerOf(claims);
  }

  /** The outage rule: refuse what this container knew to be revoked, accept the rest. */
  #decideWithoutLookup(claims: VerifiedToken, adminKey: string, revokedKey: string, error: Error): Caller {
    const version = this.#known.get(adminKey) as number | null | undefined;
    const revokedKeys = this.#known.get(revokedKey) as string[] | undefined;
    const knownRevoked =
      version === null || (version !== undefined && version > claims.tokenVersion) || (revokedKeys?.length ?? 0) > 0;
    log.warn('revocation look-up unavailable; decided from what this container knew', {
      reason: error.name,
      decision: knownRevoked ? 'refused' : 'accepted',
    });
    if (knownRevoked) throw revoked();
    return callerOf(claims);
  }
}

function callerOf(claims: VerifiedToken): Caller {
  return {
    adminId: claims.adminId,
    orgId: claims.orgId,
    sessionId: claims.sessionId,
    tokenId: claims.tokenId,
    expiresAt: claims.expiresAt,
  };
}
