import { PromiseCache } from '../cache.ts';
import { UnauthorizedError, UnavailableError } from '../errors.ts';
import { log } from '../log.ts';
import { isBuiltInRole, permissionsOf } from '../members/permissions.ts';
import type { MembershipStore, RoleStore } from '../members/stores.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import type { RevocationStore } from './stores.ts';
import type { Caller, TokenVerifier, VerifiedToken } from './tokens.ts';

/**
 * What the authorizer checks on every request: a valid signature and claims, then in the database
 * revocation (the token itself: logout; its session: logout, refresh token reuse; the user's token
 * version: logout everywhere, credential change, deletion of the user) and membership (the user's
 * role in the token's organization, and a custom role's permissions: a removal, a role change or the
 * organization's deletion), and the organization's state (a token of an archived organization
 * passes, marked `organization: 'archived'`, and every route that acts on an organization refuses it:
 * its user may still manage their account and restore it; a purged one's tokens are revoked).
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
  readonly users: Pick<AdminStore, 'findById'>;
  readonly memberships: Pick<MembershipStore, 'find'>;
  readonly roles: Pick<RoleStore, 'find'>;
  /** The organizations: whether a token's organization is live, archived or gone. */
  readonly orgs: Pick<OrganizationStore, 'findById'>;
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

  /** The caller a token speaks for; {@link UnauthorizedError} when it is invalid, revoked or no longer a member. */
  async check(token: string): Promise<Caller> {
    const claims = await this.#deps.verifier.verify(token);
    const keys = keysOf(claims);
    const lookup = Promise.all([
      this.#cached(
        keys.user,
        async () => (await this.#deps.users.findById(claims.userId))?.tokenVersion ?? null,
        // Versions only grow: a token newer than what we remember means our memory is old.
        (version) => version !== null && version < claims.tokenVersion,
      ),
      this.#cached(keys.member, async () => (await this.#deps.memberships.find(claims.orgId, claims.userId))?.role ?? null),
      this.#cached(keys.revoked, () =>
        this.#deps.revocations.revoked([`jti:${claims.tokenId}`, `sid:${claims.sessionId}`], this.#now()),
      ),
      // One look-up per organization and cache period, whatever the number of its tokens.
      this.#cached(keys.org, async () => (await this.#deps.orgs.findById(claims.orgId))?.status ?? null),
    ]);
    let status: string | null;
    let version: number | null;
    let role: string | null;
    let revokedKeys: string[];
    let custom: readonly string[] | undefined;
    try {
      const budget = this.#deps.lookupBudgetMs ?? LOOKUP_BUDGET_MS;
      [version, role, revokedKeys, status] = await within(lookup, budget);
      if (role !== null && !isBuiltInRole(role)) {
        const name = role;
        custom =
          (await within(
            this.#cached(`role:${claims.orgId}:${name}`, async () => {
              const found = await this.#deps.roles.find(claims.orgId, name);
              return found ? [...found.permissions] : null;
            }),
            budget,
          )) ?? undefined;
      }
    } catch (error) {
      if (!(error instanceof UnavailableError || error instanceof LookupTimeoutError)) throw error;
      return this.#decideWithoutLookup(claims, keys, error);
    }
    if (version === null || version !== claims.tokenVersion || role === null || revokedKeys.length > 0) throw revoked();
    if (status === null || status === 'deleting') throw revoked();
    return withOrgState(callerOf(claims, role, permissionsOf(role, custom)), status);
  }

  /**
   * The outage rule: refuse what this container knew to be revoked (or no longer a member), accept
   * the rest with the role it last knew. A caller whose role it never learnt gets no permission and
   * `membership: 'unverified'`, which a route needing one answers with 503 (the route needs the
   * database too).
   */
  #decideWithoutLookup(claims: VerifiedToken, keys: ReturnType<typeof keysOf>, error: Error): Caller {
    const version = this.#known.get(keys.user) as number | null | undefined;
    const role = this.#known.get(keys.member) as string | null | undefined;
    const revokedKeys = this.#known.get(keys.revoked) as string[] | undefined;
    const status = this.#known.get(keys.org) as string | null | undefined;
    const knownRevoked =
      status === null ||
      status === 'deleting' ||
      version === null ||
      role === null ||
      (version !== undefined && version > claims.tokenVersion) ||
      (revokedKeys?.length ?? 0) > 0;
    log.warn('revocation look-up unavailable; decided from what this container knew', {
      reason: error.name,
      decision: knownRevoked ? 'refused' : 'accepted',
    });
    if (knownRevoked) throw revoked();
    return withOrgState(this.#withoutLookup(claims, role), status ?? undefined);
  }

  #withoutLookup(claims: VerifiedToken, role: string | undefined): Caller {
    if (role === undefined) return { ...callerOf(claims, '', []), membership: 'unverified' };
    if (isBuiltInRole(role)) return callerOf(claims, role, permissionsOf(role));
    const custom = this.#known.get(`role:${claims.orgId}:${role}`) as string[] | null | undefined;
    if (custom === undefined) return { ...callerOf(claims, role, []), membership: 'unverified' }; // never learnt
    return callerOf(claims, role, permissionsOf(role, custom ?? undefined));
  }
}

/** The caller, marked when its organization is archived (or being purged). */
function withOrgState(caller: Caller, status: string | undefined): Caller {
  return status === 'archived' || status === 'purging' ? { ...caller, organization: 'archived' } : caller;
}

/** The cache keys of one token's look-ups. */
function keysOf(claims: VerifiedToken) {
  return {
    user: `user:${claims.userId}`,
    member: `member:${claims.orgId}:${claims.userId}`,
    revoked: `revoked:${claims.tokenId}:${claims.sessionId}`,
    org: `org:${claims.orgId}`,
  };
}

function callerOf(claims: VerifiedToken, role: string, permissions: readonly string[]): Caller {
  return {
    userId: claims.userId,
    orgId: claims.orgId,
    role,
    permissions,
    sessionId: claims.sessionId,
    tokenId: claims.tokenId,
    expiresAt: claims.expiresAt,
    ...(claims.twoFactor ? { twoFactor: claims.twoFactor } : {}),
    ...(claims.mfa ? { mfa: true as const } : {}),
  };
}
