/**
 * Plans: what an organization may use. A stage names its plans (lib/stages.ts) and passes them to
 * the functions as `PLANS` (JSON) with `DEFAULT_PLAN`; an organization's master document names its
 * plan (`plan`), and one without names none and is on the stage's default. The operator changes an
 * organization's plan with `npm run org:plan`. This module imports nothing, so the stage
 * configuration and every function can load it.
 */

/**
 * A plan's request rate per organization, enforced by the HTTP chain (`#core/limits/admission.ts`)
 * as a fixed window of `burstLimit / rateLimit` seconds holding at most `burstLimit` requests: on
 * average no more than `rateLimit` per second, at most `burstLimit` at once, and at most twice
 * `burstLimit` across the edge of two windows (the fixed window's known worst case).
 */
export interface PlanRate {
  /** Steady-state requests per second, per organization (all its users together). */
  readonly rateLimit: number;
  /** Requests an organization may send at once above the rate: the window's capacity. */
  readonly burstLimit: number;
}

/** What an organization may keep. */
export interface PlanQuotas {
  /** Records the organization may hold (POST /org/records answers 409 `records_quota_exceeded` past it). */
  readonly records: number;
  /** Members the organization may have (invitations are answered 409 `member_limit` past it). */
  readonly members: number;
}

export interface Plan extends PlanRate {
  readonly quotas: PlanQuotas;
}

/** The plans of a stage, by name. */
export type Plans = Readonly<Record<string, Plan>>;

/** Plan names: lower-case words, so they read well in a report and in a command line. */
export const PLAN_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The plans a stage uses unless it names its own (and what the functions use when no `PLANS` is
 * set: the local API, the tests and scripts).
 */
export const DEFAULT_PLANS = {
  free: { rateLimit: 5, burstLimit: 10, quotas: { records: 1_000, members: 5 } },
  standard: { rateLimit: 20, burstLimit: 40, quotas: { records: 100_000, members: 100 } },
  premium: { rateLimit: 100, burstLimit: 200, quotas: { records: 10_000_000, members: 10_000 } },
} as const satisfies Plans;

/** The plan new organizations are on unless the stage says otherwise. */
export const DEFAULT_PLAN = 'standard';

/** The problems of a plan table and its default, one line each; empty when it is usable. */
export function planProblems(plans: Plans, defaultPlan: string): string[] {
  const problems: string[] = [];
  const names = Object.keys(plans);
  if (names.length === 0) problems.push('at least one plan is required');
  if (!Object.hasOwn(plans, defaultPlan)) problems.push(`the default plan "${defaultPlan}" is not one of ${names.join(', ')}`);
  for (const [name, plan] of Object.entries(plans)) {
    if (!PLAN_NAME.test(name)) problems.push(`plan name "${name}" must match ${PLAN_NAME.source}`);
    const positive = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
    if (!positive(plan?.rateLimit)) problems.push(`${name}.rateLimit must be a whole number above 0`);
    if (!positive(plan?.burstLimit)) problems.push(`${name}.burstLimit must be a whole number above 0`);
    else if (positive(plan?.rateLimit) && plan.burstLimit < plan.rateLimit) {
      problems.push(`${name}.burstLimit (${plan.burstLimit}) must be at least its rateLimit (${plan.rateLimit})`);
    }
    if (!positive(plan?.quotas?.records)) problems.push(`${name}.quotas.records must be a whole number above 0`);
    if (!positive(plan?.quotas?.members)) problems.push(`${name}.quotas.members must be a whole number above 0`);
  }
  return problems;
}

/** The length of a plan's rate window, in milliseconds: `burstLimit / rateLimit` seconds. */
export function windowMsOf(plan: PlanRate): number {
  return Math.round((plan.burstLimit / plan.rateLimit) * 1_000);
}
