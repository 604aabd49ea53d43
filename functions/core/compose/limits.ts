import { once } from '../cache.ts';
import { limitsConfig } from '../config.ts';
import { Admission, PlanBook } from '../limits/admission.ts';
import { mongoPlanStore, mongoUsageStore } from '../mongo/usage-store.ts';
import { database } from './database.ts';

/**
 * Plans and rate limits over the container's database: one plan book per container (its cache is
 * what bounds how late a plan change is seen), shared by the rate limit and the quotas.
 */

let book: (() => Promise<PlanBook>) | undefined;

/** The container's plan book (configuration read at the first call: a bad `PLANS` fails at cold start). */
export function planBook(): () => Promise<PlanBook> {
  if (book) return book;
  const config = limitsConfig();
  const db = database();
  book = once(async () => {
    const { master } = await db();
    return new PlanBook({
      plans: config.plans,
      defaultPlan: config.defaultPlan,
      store: mongoPlanStore(master),
      cacheMs: config.planCacheMs,
    });
  });
  return book;
}

/** The per-organization rate limit and request count every `jwt` route applies first. */
export function admission(): () => Promise<Admission> {
  const plans = planBook();
  const db = database();
  return once(async () => {
    const { master } = await db();
    return new Admission({ plans: await plans(), usage: mongoUsageStore(master) });
  });
}
