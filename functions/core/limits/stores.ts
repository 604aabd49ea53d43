/**
 * The ports of plans, limits and usage; `#core/mongo/usage-store.ts` implements them.
 */

/** One request to count against an organization's rate window. */
export interface RequestHit {
  readonly orgId: string;
  /** The UTC day of the request, `YYYY-MM-DD`: usage is kept per organization and day. */
  readonly day: string;
  /** The route's function name (`records-create`, ...). */
  readonly route: string;
  readonly userId: string;
  /** The start of the rate window the request falls in, in epoch milliseconds. */
  readonly window: number;
  /** The window's length (the plan's), in ms: a window of another length (the plan changed) is replaced. */
  readonly windowMs: number;
  /** Requests the window holds at most (the plan's `burstLimit`). */
  readonly limit: number;
}

/** An organization's usage on one UTC day, as kept. */
export interface DailyUsage {
  readonly orgId: string;
  readonly day: string;
  /** Requests served (not answered 429 by the limit), by route. */
  readonly requests: Readonly<Record<string, number>>;
  /** Requests answered 429 by the organization's rate limit, by route. */
  readonly throttled: Readonly<Record<string, number>>;
  /** Distinct users who made a request that day. */
  readonly activeMembers: number;
}

export interface UsageStore {
  /**
   * Counts the request in its organization's window and day if the window has room (`admitted`),
   * else counts it as throttled (`limited`). `knownFull` says this container already saw the window
   * full, so the store may count the refusal at once.
   */
  hit(request: RequestHit, knownFull: boolean): Promise<'admitted' | 'limited'>;
  /** The organization's usage on the days `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first. */
  daysOf(orgId: string, from: string, to: string): Promise<DailyUsage[]>;
  /** Every organization's usage on `day`, in organization id order (one query; 10,000 organizations are about 2 MB). */
  onDay(day: string): Promise<DailyUsage[]>;
}

/** What an organization holds, counted as it changes (the records quota's meter). */
export interface Meter {
  readonly orgId: string;
  readonly records: number;
}

export interface MeterStore {
  /** Counts one more record if the organization holds fewer than `quota`; false when it is at its quota. */
  reserveRecord(orgId: string, quota: number): Promise<boolean>;
  /** Counts one record fewer (a record was deleted, or a reserved create did not happen). */
  releaseRecord(orgId: string): Promise<void>;
  /** The organization's meter; zeros when it has none yet. */
  of(orgId: string): Promise<Meter>;
  /** Every organization's meter, in organization id order (one query). */
  all(): Promise<Meter[]>;
}

/** One operator change of an organization's plan, as recorded (`plan_changes`). */
export interface PlanChange {
  readonly id: string;
  readonly orgId: string;
  /** The plan before (the stage default when the organization named none). */
  readonly from: string;
  readonly to: string;
  /** Who made the change (the operator's name as given to the script). */
  readonly by: string;
  readonly reason?: string;
  readonly at: Date;
}

export interface PlanStore {
  /** The plan the organization's document names, null when it names none, undefined when there is no such organization. */
  planOf(orgId: string): Promise<string | null | undefined>;
  /** Sets the organization's plan; false when there is no such organization. */
  setPlan(orgId: string, plan: string, at: Date): Promise<boolean>;
  /** Records a change (an insert; the history is never rewritten). */
  record(change: PlanChange): Promise<void>;
  /** The organization's plan changes, newest first. */
  changesOf(orgId: string): Promise<PlanChange[]>;
  /** Every organization's id, name and plan (null: the default), in id order (one query). */
  organizations(): Promise<{ readonly orgId: string; readonly name: string; readonly plan: string | null }[]>;
}
