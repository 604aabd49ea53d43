import { NotFoundError, ValidationError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { MembershipStore } from '../members/stores.ts';
import { toSlug } from '../orgs/model.ts';
import type { OrganizationStore } from '../orgs/stores.ts';
import { dayOf, type PlanBook } from './admission.ts';
import type { Plan, Plans } from './plans.ts';
import type { DailyUsage, MeterStore, PlanChange, PlanStore, UsageStore } from './stores.ts';

/**
 * What organizations use, per UTC day: requests by route (served and refused by the rate limit),
 * active members (distinct users who made a request), and what they hold (records, members). An
 * owner reads their own organization's (GET /org/usage); the operator reads every organization's in
 * one report (`npm run org:usage`), and changes plans (`npm run org:plan`).
 */

/** One day of an organization's usage, as the API and the report show it. */
export interface UsageDay {
  readonly day: string;
  readonly requests: Readonly<Record<string, number>>;
  readonly requests_total: number;
  readonly throttled: Readonly<Record<string, number>>;
  readonly throttled_total: number;
  readonly active_members: number;
}

/** An organization's plan, as the API shows it. */
export interface PlanView {
  readonly name: string;
  readonly rate_limit: number;
  readonly burst_limit: number;
  readonly quotas: { readonly records: number; readonly members: number };
}

export interface OrganizationUsage {
  readonly organization_id: string;
  readonly plan: PlanView;
  /** Records held now (the records quota's meter). */
  readonly records: number;
  /** Members now. */
  readonly members: number;
  /** The last `days` UTC days, oldest first, today included; a day without requests shows zeros. */
  readonly days: UsageDay[];
}

/** One line of the operator's report: one organization on one day (the figures a billing system takes). */
export interface UsageReportLine {
  readonly day: string;
  readonly organization_id: string;
  readonly organization_name: string;
  readonly plan: string;
  readonly requests_total: number;
  readonly throttled_total: number;
  readonly active_members: number;
  readonly records: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly throttled: Readonly<Record<string, number>>;
}

/** The outcome of a plan change. */
export interface PlanChangeResult {
  readonly organization_id: string;
  readonly organization_name: string;
  readonly from: string;
  readonly to: string;
  /** False when the organization was on that plan already, named or by default (nothing changed, nothing recorded). */
  readonly changed: boolean;
}

export interface UsageDeps {
  readonly usage: Pick<UsageStore, 'daysOf' | 'onDay'>;
  readonly meters: Pick<MeterStore, 'of' | 'all'>;
  readonly planStore: PlanStore;
  readonly plans: PlanBook;
  readonly stagePlans: Plans;
  readonly orgs: Pick<OrganizationStore, 'findById' | 'findBySlug'>;
  readonly memberships: Pick<MembershipStore, 'count'>;
  /**
   * Told of each plan change after it is stored and recorded (the place the `plan.changed` event is
   * published from). Optional: the change stands whether or not anyone is told.
   */
  readonly onPlanChanged?: (change: PlanChange) => Promise<void>;
  readonly now?: () => Date;
}

/** The most days GET /org/usage returns. */
export const MAX_USAGE_DAYS = 31;
const MEMBER_COUNT_CAP = 1_000_000;

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

function toDay(day: string, usage: DailyUsage | undefined): UsageDay {
  const requests = usage?.requests ?? {};
  const throttled = usage?.throttled ?? {};
  return {
    day,
    requests,
    requests_total: sum(requests),
    throttled,
    throttled_total: sum(throttled),
    active_members: usage?.activeMembers ?? 0,
  };
}

function toPlanView(name: string, plan: Plan): PlanView {
  return {
    name,
    rate_limit: plan.rateLimit,
    burst_limit: plan.burstLimit,
    quotas: { records: plan.quotas.records, members: plan.quotas.members },
  };
}

export class UsageService {
  readonly #deps: UsageDeps;
  readonly #now: () => Date;

  constructor(deps: UsageDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The organization's plan, holdings and the last `days` UTC days of usage (today included). */
  async ofOrganization(orgId: string, days: number): Promise<OrganizationUsage> {
    const today = this.#now().getTime();
    const wanted = Array.from({ length: days }, (_, i) => dayOf(today - (days - 1 - i) * 86_400_000));
    const [kept, meter, members, plan] = await Promise.all([
      this.#deps.usage.daysOf(orgId, wanted[0] as string, wanted.at(-1) as string),
      this.#deps.meters.of(orgId),
      this.#deps.memberships.count(orgId, MEMBER_COUNT_CAP),
      this.#deps.plans.of(orgId),
    ]);
    const byDay = new Map(kept.map((usage) => [usage.day, usage]));
    return {
      organization_id: orgId,
      plan: toPlanView(plan.name, plan.plan),
      records: meter.records,
      members,
      days: wanted.map((day) => toDay(day, byDay.get(day))),
    };
  }

  /**
   * Every organization's usage on `day` (`YYYY-MM-DD`), one line each, in organization id order. Three
   * queries whatever the number of organizations (the organizations, the day's usage, the meters),
   * each read in batches; see README, Usage.
   */
  async report(day: string): Promise<UsageReportLine[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) {
      throw new ValidationError(`The day must be a date as YYYY-MM-DD (got "${day}").`);
    }
    const [orgs, usage, meters] = await Promise.all([
      this.#deps.planStore.organizations(),
      this.#deps.usage.onDay(day),
      this.#deps.meters.all(),
    ]);
    const usageOf = new Map(usage.map((u) => [u.orgId, u]));
    const recordsOf = new Map(meters.map((m) => [m.orgId, m.records]));
    return orgs.map((org) => {
      const used = toDay(day, usageOf.get(org.orgId));
      return {
        day,
        organization_id: org.orgId,
        organization_name: org.name,
        plan: this.#deps.plans.resolve(org.plan).name,
        requests_total: used.requests_total,
        throttled_total: used.throttled_total,
        active_members: used.active_members,
        records: recordsOf.get(org.orgId) ?? 0,
        requests: used.requests,
        throttled: used.throttled,
      };
    });
  }

  /**
   * The organization's plan changes, newest first.
   *
   * @throws NotFoundError `organization_not_found`.
   */
  async planHistory(which: { readonly id: string } | { readonly name: string }): Promise<PlanChange[]> {
    const org = await this.#find(which);
    return this.#deps.planStore.changesOf(org.id);
  }

  async #find(which: { readonly id: string } | { readonly name: string }) {
    const org = 'id' in which ? await this.#deps.orgs.findById(which.id) : await this.#deps.orgs.findBySlug(toSlug(which.name));
    if (!org) throw new NotFoundError('organization_not_found', 'The organization does not exist.');
    return org;
  }

  /**
   * Puts the organization (by id or by name) on plan `to`, and records the change with who made it.
   * Every container sees the new plan within the plan cache's age (`PLAN_CACHE_SECONDS`).
   *
   * @throws ValidationError `unknown_plan` (the stage has no such plan).
   * @throws NotFoundError `organization_not_found`.
   */
  async changePlan(
    which: { readonly id: string } | { readonly name: string },
    to: string,
    by: string,
    reason?: string,
  ): Promise<PlanChangeResult> {
    if (!Object.hasOwn(this.#deps.stagePlans, to)) {
      const known = Object.keys(this.#deps.stagePlans).join(', ');
      throw new ValidationError(`No plan is named "${to}"; the plans are ${known}.`, [], 'unknown_plan');
    }
    if (by.trim() === '') throw new ValidationError('Say who makes the change (--by).', [], 'operator_required');
    const org = await this.#find(which);
    const current = await this.#deps.planStore.planOf(org.id);
    if (current === undefined) throw new NotFoundError('organization_not_found', 'The organization does not exist.');
    const from = this.#deps.plans.resolve(current).name;
    const result = { organization_id: org.id, organization_name: org.name, from, to };
    if (from === to) return { ...result, changed: false };
    const at = this.#now();
    if (!(await this.#deps.planStore.setPlan(org.id, to, at))) {
      throw new NotFoundError('organization_not_found', 'The organization does not exist.');
    }
    const change: PlanChange = { id: newId(), orgId: org.id, from, to, by, ...(reason ? { reason } : {}), at };
    await this.#deps.planStore.record(change);
    // The `plan.changed` event is published here, once the change is stored and recorded.
    await this.#deps.onPlanChanged?.(change);
    return { ...result, changed: true };
  }
}
