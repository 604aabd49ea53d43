import type { Collection, Db, ObjectId } from 'mongodb';
import type { DailyUsage, Meter, MeterStore, PlanChange, PlanStore, RequestHit, UsageStore } from '../limits/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';
import { oid } from './object-ids.ts';
import type { OrgDoc } from './organization-store.ts';
import { SerialPerKey } from './serial.ts';

/**
 * The MongoDB adapters of plans, limits and usage (master database):
 *
 * - `org_usage`: one document per organization and UTC day, `_id` `<orgId>:<YYYY-MM-DD>`. It is the
 *   organization's rate window (`window`, its start in epoch ms, and `count`, the requests admitted
 *   in it) and its usage that day (`requests` and `throttled` by route, `users` who called). A request
 *   is admitted by one conditional `updateOne` (window current and not full): one round trip; the
 *   first request of a window or of a day, two (the second an upsert); a refusal, four (the window
 *   may have just been started by another container: the first update is tried again), or one when
 *   the caller knows the window is full. Updates of one document go one after another within a
 *   process (`serial.ts`: exact counts on FerretDB too; nothing waits in Lambda).
 * - `org_meters`: one document per organization, `_id` the org id: the records it holds, counted by
 *   conditional increments (the records quota).
 * - `plan_changes`: each operator change of a plan, inserted, never changed.
 */

interface UsageDoc {
  _id: string;
  orgId: string;
  day: string;
  window: number;
  windowMs: number;
  count: number;
  requests: Record<string, number>;
  throttled: Record<string, number>;
  users: string[];
}

interface MeterDoc {
  _id: string;
  records: number;
}

interface PlanChangeDoc {
  _id: string;
  orgId: string;
  from: string;
  to: string;
  by: string;
  reason?: string;
  at: Date;
}

const usageId = (orgId: string, day: string) => `${orgId}:${day}`;

function toDaily(doc: UsageDoc): DailyUsage {
  return {
    orgId: doc.orgId,
    day: doc.day,
    requests: doc.requests ?? {},
    throttled: doc.throttled ?? {},
    activeMembers: doc.users?.length ?? 0,
  };
}

/** One queue per process for each collection's documents, whichever store instance updates them. */
const usageUpdates = SerialPerKey.shared('org_usage');
const meterUpdates = SerialPerKey.shared('org_meters');

export class MongoUsageStore implements UsageStore {
  readonly #col: Collection<UsageDoc>;
  readonly #serial = usageUpdates;

  constructor(col: Collection<UsageDoc>) {
    this.#col = col;
  }

  hit(request: RequestHit, knownFull: boolean): Promise<'admitted' | 'limited'> {
    return this.#serial.run(usageId(request.orgId, request.day), () => this.#hit(request, knownFull));
  }

  async #hit(request: RequestHit, knownFull: boolean): Promise<'admitted' | 'limited'> {
    const { orgId, day, route, userId, window, windowMs, limit } = request;
    const _id = usageId(orgId, day);
    const counted = { [`requests.${route}`]: 1 };
    const inWindow = async () =>
      (
        await this.#col.updateOne(
          { _id, window, count: { $lt: limit } },
          { $inc: { count: 1, ...counted }, $addToSet: { users: userId } },
        )
      ).matchedCount === 1;
    if (!knownFull) {
      // The common case: the window is current and has room. One round trip.
      if (await inWindow()) return 'admitted';
      // A new window (or the day's first request, which makes the document, or a window of another
      // length: the plan changed, and its window may start before the stored one): start it with this
      // request. When the window is current, the upsert's insert meets the `_id` and fails: the
      // window is full, or another request (another container) has just started it, and then the
      // first update, once more, finds room in it.
      try {
        await this.#col.updateOne(
          { _id, $or: [{ window: { $lt: window } }, { windowMs: { $ne: windowMs } }] },
          { $set: { orgId, day, window, windowMs, count: 1 }, $inc: counted, $addToSet: { users: userId } },
          { upsert: true },
        );
        return 'admitted';
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      if (await inWindow()) return 'admitted';
    }
    // The window is full: count the refusal.
    await this.#col.updateOne({ _id }, { $inc: { [`throttled.${route}`]: 1 } });
    return 'limited';
  }

  async daysOf(orgId: string, from: string, to: string): Promise<DailyUsage[]> {
    const docs = await this.#col
      .find({ _id: { $gte: usageId(orgId, from), $lte: usageId(orgId, to) } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(toDaily);
  }

  async onDay(day: string): Promise<DailyUsage[]> {
    return (await this.#col.find({ day }).sort({ day: 1, orgId: 1 }).toArray()).map(toDaily);
  }
}

export class MongoMeterStore implements MeterStore {
  readonly #col: Collection<MeterDoc>;
  readonly #serial = meterUpdates;

  constructor(col: Collection<MeterDoc>) {
    this.#col = col;
  }

  reserveRecord(orgId: string, quota: number): Promise<boolean> {
    return this.#serial.run(orgId, () => this.#reserve(orgId, quota));
  }

  async #reserve(orgId: string, quota: number): Promise<boolean> {
    // One round trip: below the quota it counts; with no meter yet the upsert makes it. When the
    // upsert's insert meets the `_id`, the organization is at its quota, or another request (another
    // container) has just made the meter: the count is tried once more, without the upsert.
    const below = { _id: orgId, records: { $lt: quota } };
    try {
      await this.#col.updateOne(below, { $inc: { records: 1 } }, { upsert: true });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    return (await this.#col.updateOne(below, { $inc: { records: 1 } })).matchedCount === 1;
  }

  async releaseRecord(orgId: string): Promise<void> {
    await this.#serial.run(orgId, () => this.#col.updateOne({ _id: orgId, records: { $gt: 0 } }, { $inc: { records: -1 } }));
  }

  async of(orgId: string): Promise<Meter> {
    const doc = await this.#col.findOne({ _id: orgId });
    return { orgId, records: doc?.records ?? 0 };
  }

  async all(): Promise<Meter[]> {
    return (await this.#col.find({}).sort({ _id: 1 }).toArray()).map((doc) => ({ orgId: doc._id, records: doc.records }));
  }
}

export class MongoPlanStore implements PlanStore {
  readonly #orgs: Collection<OrgDoc>;
  readonly #changes: Collection<PlanChangeDoc>;

  constructor(orgs: Collection<OrgDoc>, changes: Collection<PlanChangeDoc>) {
    this.#orgs = orgs;
    this.#changes = changes;
  }

  async planOf(orgId: string): Promise<string | null | undefined> {
    const _id = oid(orgId);
    const doc = _id && (await this.#orgs.findOne({ _id }));
    if (!doc) return undefined;
    return typeof doc.plan === 'string' ? doc.plan : null;
  }

  async setPlan(orgId: string, plan: string, at: Date): Promise<boolean> {
    const _id = oid(orgId);
    if (!_id) return false;
    return (await this.#orgs.updateOne({ _id }, { $set: { plan, planChangedAt: at } })).matchedCount === 1;
  }

  async record(change: PlanChange): Promise<void> {
    const { id, reason, ...rest } = change;
    await this.#changes.insertOne({ _id: id, ...rest, ...(reason !== undefined ? { reason } : {}) });
  }

  async changesOf(orgId: string): Promise<PlanChange[]> {
    const docs = await this.#changes.find({ orgId }).sort({ at: -1, _id: -1 }).toArray();
    return docs.map(({ _id, reason, ...rest }) => ({ id: _id, ...rest, ...(reason !== undefined ? { reason } : {}) }));
  }

  async organizations(): Promise<{ orgId: string; name: string; plan: string | null }[]> {
    const docs = await this.#orgs.find({}).sort({ _id: 1 }).toArray();
    return docs.map((doc: OrgDoc) => ({
      orgId: (doc._id as ObjectId).toHexString(),
      name: doc.name,
      plan: typeof doc.plan === 'string' ? doc.plan : null,
    }));
  }
}

/** The usage adapter over the master database, with outages mapped to 503. */
export function mongoUsageStore(db: Db): UsageStore {
  return withUnavailableMapping(new MongoUsageStore(db.collection<UsageDoc>(MASTER_COLLECTIONS.usage)));
}

/** The meter adapter over the master database, with outages mapped to 503. */
export function mongoMeterStore(db: Db): MeterStore {
  return withUnavailableMapping(new MongoMeterStore(db.collection<MeterDoc>(MASTER_COLLECTIONS.meters)));
}

/** The plan adapter over the master database, with outages mapped to 503. */
export function mongoPlanStore(db: Db): PlanStore {
  return withUnavailableMapping(
    new MongoPlanStore(
      db.collection<OrgDoc>(MASTER_COLLECTIONS.organizations),
      db.collection<PlanChangeDoc>(MASTER_COLLECTIONS.planChanges),
    ),
  );
}
