import { PromiseCache } from '../cache.ts';
import { TooManyRequestsError } from '../errors.ts';
import { type Plan, type Plans, windowMsOf } from './plans.ts';
import type { PlanStore, UsageStore } from './stores.ts';

/**
 * Per-organization rate limits: every request of a signed-in caller is counted against its
 * organization's plan before the route parses anything or touches the organization's data.
 *
 * The limit is a fixed window per organization, shared by all containers (one document per
 * organization and day, see `#core/mongo/usage-store.ts`): `burstLimit` requests per window of
 * `burstLimit / rateLimit` seconds. Over it, the answer is 429 `rate_limited` (RFC 6585, section 4)
 * with `Retry-After` (RFC 9110, section 10.2.3): the seconds until the window ends.
 *
 * Cost, in database round trips: an admitted request, one (a conditional `updateOne`); the first
 * request of a window, two; a refused request, four the first time a container sees the window
 * full and one after that (this container remembers the full window until it ends). The plan is
 * read from the organization's document at most once per organization and `planCacheMs` per
 * container, so a plan change reaches every container within `planCacheMs`.
 */

/** An organization's plan and its name. */
export interface PlanOf {
  readonly name: string;
  readonly plan: Plan;
}

export interface PlanBookDeps {
  readonly plans: Plans;
  readonly defaultPlan: string;
  readonly store: Pick<PlanStore, 'planOf'>;
  /** How long an organization's plan is reused before it is read again, in ms (0: every time). */
  readonly cacheMs: number;
  readonly now?: () => number;
}

/**
 * Organizations' plans, read from their documents and cached per container for `cacheMs`. A plan
 * name the stage does not know (a plan retired since) counts as the default plan.
 */
export class PlanBook {
  readonly #deps: PlanBookDeps;
  readonly #cache: PromiseCache<string, string | null | undefined>;

  constructor(deps: PlanBookDeps) {
    this.#deps = deps;
    this.#cache = new PromiseCache({ maxAgeMs: deps.cacheMs, maxEntries: 10_000, ...(deps.now ? { now: deps.now } : {}) });
  }

  /** The plan of `name`, or the default plan when the stage has no such plan. */
  resolve(name: string | null | undefined): PlanOf {
    const { plans, defaultPlan } = this.#deps;
    const known = typeof name === 'string' && Object.hasOwn(plans, name);
    const chosen = known ? name : defaultPlan;
    return { name: chosen, plan: plans[chosen] as Plan };
  }

  /** The organization's plan (the default for one whose document names none, or that does not exist). */
  async of(orgId: string): Promise<PlanOf> {
    const load = () => this.#deps.store.planOf(orgId);
    const name = this.#deps.cacheMs > 0 ? await this.#cache.get(orgId, load) : await load();
    return this.resolve(name);
  }
}

/** Who is calling, as the authorizer said. */
export interface Visitor {
  readonly orgId: string;
  readonly userId: string;
}

export interface AdmissionDeps {
  readonly plans: PlanBook;
  readonly usage: Pick<UsageStore, 'hit'>;
  /** Milliseconds now. */
  readonly now?: () => number;
}

/** The UTC day of `ms`, `YYYY-MM-DD`. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class Admission {
  readonly #deps: AdmissionDeps;
  /** Windows this container has seen full: `<orgId>:<window start>` → the window's end (epoch ms). */
  readonly #full = new Map<string, number>();

  constructor(deps: AdmissionDeps) {
    this.#deps = deps;
  }

  /**
   * Counts the request against the organization's rate and in its usage of the day under `route`.
   *
   * @throws TooManyRequestsError `rate_limited` (429, with the seconds until the window ends) when the
   *   organization's window is full.
   */
  async admit(visitor: Visitor, route: string): Promise<void> {
    const now = this.#deps.now?.() ?? Date.now();
    const { name, plan } = await this.#deps.plans.of(visitor.orgId);
    const windowMs = windowMsOf(plan);
    const window = Math.floor(now / windowMs) * windowMs;
    const ends = window + windowMs;
    const key = `${visitor.orgId}:${window}`;
    const knownFull = this.#full.has(key);
    const outcome = await this.#deps.usage.hit(
      { orgId: visitor.orgId, day: dayOf(now), route, userId: visitor.userId, window, windowMs, limit: plan.burstLimit },
      knownFull,
    );
    if (outcome === 'admitted') return;
    if (!knownFull) {
      for (const [seen, end] of this.#full) if (end <= now) this.#full.delete(seen);
      this.#full.set(key, ends);
    }
    throw new TooManyRequestsError(
      'rate_limited',
      `Your organization's plan (${name}) allows ${plan.rateLimit} requests per second, ${plan.burstLimit} at once; retry after the Retry-After seconds.`,
      (ends - now) / 1_000,
    );
  }
}
