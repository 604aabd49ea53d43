import { contract } from '#core/http/contract.ts';
import { MAX_USAGE_DAYS } from '#core/limits/usage.ts';
import * as z from '#core/zod.ts';

const DAYS = `must be an integer from 1 to ${MAX_USAGE_DAYS}`;

export const UsageQuery = z.strictObject({
  days: z
    ._default(z.coerce.number({ error: DAYS }).check(z.int(DAYS), z.gte(1, DAYS), z.lte(MAX_USAGE_DAYS, DAYS)), 7)
    .check(z.describe(`UTC days to show, today included: 1 to ${MAX_USAGE_DAYS} (default 7)`)),
});

const counts = z.record(z.string(), z.number()).check(z.describe('By route (the function name)'));

const UsageDay = z
  .strictObject({
    day: z.string().check(z.describe('The UTC day, YYYY-MM-DD')),
    requests: counts,
    requests_total: z.number().check(z.describe('Requests served that day')),
    throttled: counts,
    throttled_total: z.number().check(z.describe('Requests answered 429 by the rate limit that day')),
    active_members: z.number().check(z.describe('Distinct users who made a request that day')),
  })
  .check(z.meta({ id: 'UsageDay' }));

export const UsageResponse = z.strictObject({
  organization_id: z.string(),
  plan: z.strictObject({
    name: z.string(),
    rate_limit: z.number().check(z.describe('Requests per second, for the whole organization')),
    burst_limit: z.number().check(z.describe('Requests at once above the rate')),
    quotas: z.strictObject({ records: z.number(), members: z.number() }),
  }),
  records: z.number().check(z.describe('Records held now')),
  members: z.number().check(z.describe('Members now')),
  days: z.array(UsageDay),
});

/** `?days=` */
export const schema = contract({
  request: { query: UsageQuery },
  success: {
    status: 200,
    description: "The organization's plan, what it holds now, and its usage per UTC day (oldest first).",
    body: UsageResponse,
  },
  errors: [400, 401, 403, 503],
  example: { query: { days: 7 } },
});
