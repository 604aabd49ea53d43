import type { CallerIdentity } from '../auth/tokens.ts';
import { ConflictError, NotFoundError, PayloadTooLargeError, UnavailableError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { MeterStore } from '../limits/stores.ts';
import { errorFields, log } from '../log.ts';
import { metrics } from '../metrics.ts';
import { type Organization, type Placement, samePlace } from '../orgs/model.ts';
import type { OrganizationStore } from '../orgs/stores.ts';
import {
  decodeCursor,
  encodeCursor,
  MAX_RECORD_BYTES,
  mergeTopLevel,
  type RecordData,
  recordBytes,
  type StoredRecord,
} from './model.ts';
import { PlaceGoneError, type RecordStore } from './stores.ts';

/**
 * The records use cases, on the caller's organization only: the place comes from the organization
 * document the token's org id names, never from the request.
 *
 * Placements change while requests run (a rename in collection mode, a move between modes), and other
 * containers may hold an older placement in their cache. The fence that keeps writes safe:
 *
 * 1. A write reads the organization document (by id, uncached) and is refused with 503
 *    `organization_migrating` and Retry-After if data is being moved: nothing was written.
 * 2. It runs its one database operation in the place the document names.
 * 3. It reads the organization document again. Only if data may still be written there and
 *    `placementVersion` is unchanged is the write acknowledged. A move raises the fence (the status)
 *    before it copies anything and raises the version when it ends, so an unchanged version after
 *    the write means the write happened before any copy began, and is in every copy.
 * 4. Otherwise the write raced the start of a move and may have landed in a place being left (or left
 *    already, even dropped, which re-creates it). It waits for the move to end and applies the write
 *    again where the data is now: every write here is idempotent under a retry (an insert keeps its
 *    id, a replace or merge sets the same fields, a delete of a deleted record is done). A record it
 *    inserted into a place the organization has left is removed, and that place too once nobody uses
 *    it; had that clean-up not run, the record would still never be seen: it carries the old place's
 *    generation, which no later place of any organization has (see `Placement.gen`). If the move
 *    outlasts the wait, the answer is 503 `write_unconfirmed`: the write may or may not be applied.
 *
 * Reads use the cached placement (at most `cacheMs` old), then do step 3 and simply read again when
 * the placement changed under them, so a cached placement never serves data from a place left behind.
 *
 * A request that finds its organization's data fenced by an operation whose run died (its lease has
 * passed), or a cleanup such a run owes after its commit, settles it first (`recoverAbandoned`), so
 * writes do not wait for the reconciler. A place's
 * name is never used again (see `collectionPlacement`): once the organization has left a place, the
 * clean-up of step 4 can only ever touch a stray there, never live data.
 */

export interface RecordsDeps {
  readonly orgs: Pick<OrganizationStore, 'findById'>;
  readonly records: RecordStore;
  /** Removes a place no organization uses (one a late insert re-created); gone already is fine. */
  readonly releasePlace: (place: Placement) => Promise<void>;
  /**
   * Settles the organization's operation if its run died (see `OrganizationService.recoverAbandoned`)
   * and returns the organization as it is then; called only when a write finds its data fenced, or its
   * organization owing a cleanup (see `#core/orgs/owed.ts`).
   * Without it, a dead operation fences writes until the reconciler settles it.
   */
  readonly recoverAbandoned?: (orgId: string) => Promise<Organization | null>;
  /**
   * The records quota (see `#core/limits/plans.ts`): a create first counts the record on the
   * organization's meter, which refuses past the plan's quota; a delete counts it off. Without it,
   * records are not counted.
   */
  readonly quota?: RecordsQuota;
  /** How long a container may reuse an organization's placement; 0 reads it every time. */
  readonly cacheMs: number;
  /** How long a write that raced a move waits for it to end before giving up (default 2 s). */
  readonly fenceWaitMs?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The records quota: the organization's meter and its plan's limit. */
export interface RecordsQuota {
  readonly meter: Pick<MeterStore, 'reserveRecord' | 'releaseRecord'>;
  /** The records the organization's plan allows. */
  readonly limitOf: (orgId: string) => Promise<number>;
}

export interface ListInput {
  readonly filter: Readonly<Record<string, string>>;
  readonly limit: number;
  readonly cursor?: string;
}

export interface Page {
  readonly records: StoredRecord[];
  readonly nextCursor: string | null;
}

/** What a records request may do with an organization's data right now, and where. */
interface Access {
  readonly placement: Placement;
  readonly version: number;
  readonly read: boolean;
  readonly write: boolean;
  /** A committed operation still owes a cleanup (see `#core/orgs/owed.ts`): a write pays it if its run died. */
  readonly owes?: boolean;
}

function accessOf(org: Organization | null): Access | null {
  if (!org || org.status === 'creating' || org.status === 'deleting') return null;
  const version = org.placementVersion ?? 0;
  const op = org.operation;
  switch (org.status) {
    case 'active':
      return { placement: org.placement, version, read: true, write: true, ...(org.owed ? { owes: true } : {}) };
    case 'moving': // copying from the current place, which stays whole until the switch
      return { placement: org.placement, version, read: true, write: false };
    case 'renaming': {
      const inPlace = op?.kind === 'rename' && samePlace(op.from, op.to); // database mode: nothing moves
      return { placement: org.placement, version, read: inPlace, write: inPlace };
    }
    default: // archived or purging: nobody works on its data
      return null;
  }
}

/** Same place, same version: nothing moved in between. */
const unchanged = (a: Access, b: Access) => a.version === b.version && samePlace(a.placement, b.placement);

const MAX_ATTEMPTS = 3;
const POLL_MS = 50;
const CACHE_MAX_ENTRIES = 10_000;

const orgGone = () => new NotFoundError('organization_not_found', 'The organization does not exist.');
const recordNotFound = () => new NotFoundError('record_not_found', 'No record has this id.');
const migrating = () =>
  new UnavailableError("The organization's data is being moved; retry shortly.", {
    code: 'organization_migrating',
    retryAfterSeconds: 1,
  });
const deletedWhileWriting = () =>
  new UnavailableError(
    'The organization was deleted while this write ran; it may or may not have been applied, and stays with the archived organization.',
    { code: 'write_unconfirmed', retryAfterSeconds: 1 },
  );
const unconfirmed = () =>
  new UnavailableError(
    "The organization's data began moving while this write ran; it may or may not have been applied. Retry shortly.",
    { code: 'write_unconfirmed', retryAfterSeconds: 1 },
  );
const tooLarge = () =>
  new PayloadTooLargeError('record_too_large', `A record may hold at most ${MAX_RECORD_BYTES} bytes of JSON.`);

export class RecordsService {
  readonly #deps: RecordsDeps;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #cache = new Map<string, { access: Access | null; at: number }>();

  constructor(deps: RecordsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  // ---------------------------------------------------------------- use cases

  /**
   * @throws ConflictError `records_quota_exceeded` (409) when the organization holds as many records
   *   as its plan allows; nothing is written.
   */
  async create(caller: CallerIdentity, data: RecordData): Promise<StoredRecord> {
    if (recordBytes(data) > MAX_RECORD_BYTES) throw tooLarge();
    const at = this.#now();
    const record: StoredRecord = { id: newId(), data, createdAt: at, updatedAt: at, rev: 0 };
    await this.#reserve(caller.orgId);
    try {
      await this.#write(
        caller.orgId,
        async (place) => {
          await this.#deps.records.insert(place, record); // `exists` on a retry: the first attempt is there
        },
        (place) => this.#deps.records.remove(place, record.id),
      );
    } catch (error) {
      // Counted off unless the write may have happened (then the meter stays high, never low).
      if ((error as { code?: string }).code !== 'write_unconfirmed') await this.#release(caller.orgId);
      throw error;
    }
    return record;
  }

  /** Counts a record on the organization's meter, refusing past its plan's quota. */
  async #reserve(orgId: string): Promise<void> {
    const quota = this.#deps.quota;
    if (!quota) return;
    const limit = await quota.limitOf(orgId);
    if (!(await quota.meter.reserveRecord(orgId, limit))) {
      throw new ConflictError(
        'records_quota_exceeded',
        `The records quota of your organization's plan is ${limit} records; delete some or ask for a larger plan.`,
      );
    }
  }

  /** Counts a record off the organization's meter; a failure leaves the meter high (logged), never low. */
  async #release(orgId: string): Promise<void> {
    try {
      await this.#deps.quota?.meter.releaseRecord(orgId);
    } catch (error) {
      log.warn('records meter not counted down', { orgId, ...errorFields(error) });
    }
  }

  async get(caller: CallerIdentity, id: string): Promise<StoredRecord> {
    const record = await this.#read(caller.orgId, (place) => this.#deps.records.find(place, id));
    if (!record) throw recordNotFound();
    return record;
  }

  async list(caller: CallerIdentity, input: ListInput): Promise<Page> {
    const after = input.cursor === undefined ? undefined : (decodeCursor(input.cursor) ?? undefined);
    const rows = await this.#read(caller.orgId, (place) =>
      this.#deps.records.list(place, { filter: input.filter, limit: input.limit + 1, ...(after ? { after } : {}) }),
    );
    const records = rows.slice(0, input.limit);
    const last = records.at(-1);
    return { records, nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null };
  }

  async replace(caller: CallerIdentity, id: string, data: RecordData): Promise<StoredRecord> {
    if (recordBytes(data) > MAX_RECORD_BYTES) throw tooLarge();
    const record = await this.#write(caller.orgId, (place) => this.#deps.records.update(place, id, data, this.#now()));
    if (!record) throw recordNotFound();
    return record;
  }

  async patch(caller: CallerIdentity, id: string, patch: RecordData): Promise<StoredRecord> {
    const record = await this.#write(caller.orgId, (place) => this.#merge(place, id, patch));
    if (!record) throw recordNotFound();
    return record;
  }

  async remove(caller: CallerIdentity, id: string): Promise<void> {
    let removed = false; // by any attempt: a retry after a move finds it gone
    await this.#write(caller.orgId, async (place) => {
      if (await this.#deps.records.remove(place, id)) removed = true;
    });
    if (!removed) throw recordNotFound();
    await this.#release(caller.orgId);
  }

  /** Read, merge, write back at the revision read; again if another write came in between. */
  async #merge(place: Placement, id: string, patch: RecordData): Promise<StoredRecord | null> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const current = await this.#deps.records.find(place, id);
      if (!current) return null;
      const merged = mergeTopLevel(current.data, patch);
      if (recordBytes(merged) > MAX_RECORD_BYTES) throw tooLarge();
      const updated = await this.#deps.records.update(place, id, merged, this.#now(), current.rev);
      if (updated) return updated;
    }
    throw new ConflictError('record_busy', 'The record is being changed by other requests; retry.');
  }

  // ---------------------------------------------------------------- the fence

  /** The organization's access, from the cache unless `fresh`; a fresh read refreshes the cache. */
  async #access(orgId: string, fresh: boolean): Promise<Access | null> {
    const now = Date.now();
    const hit = this.#cache.get(orgId);
    const served = hit !== undefined && now - hit.at < this.#deps.cacheMs;
    if (!fresh) metrics.cacheLookup('placement', served);
    if (!fresh && served) return hit.access;
    const access = accessOf(await this.#deps.orgs.findById(orgId));
    if (this.#deps.cacheMs > 0) {
      if (this.#cache.size >= CACHE_MAX_ENTRIES) this.#cache.clear();
      this.#cache.set(orgId, { access, at: now });
    }
    return access;
  }

  /** The organization's access after settling its operation, if that operation's run died. */
  async #recoverAbandoned(orgId: string, access: Access | null): Promise<Access | null> {
    if (!this.#deps.recoverAbandoned) return access;
    const settled = accessOf(await this.#deps.recoverAbandoned(orgId));
    this.#cache.delete(orgId);
    return settled;
  }

  /**
   * Polls until `ready` holds (or the organization is gone), settling a dead operation first;
   * `timedOut()` if it does not hold within the wait.
   */
  async #waitFor(orgId: string, ready: (access: Access) => boolean, timedOut: () => Error): Promise<Access | null> {
    const deadline = Date.now() + (this.#deps.fenceWaitMs ?? 2_000);
    let access = await this.#access(orgId, true);
    if (access && !ready(access)) access = await this.#recoverAbandoned(orgId, access);
    for (;;) {
      if (!access || ready(access)) return access;
      if (Date.now() >= deadline) throw timedOut();
      await this.#sleep(POLL_MS);
      access = await this.#access(orgId, true);
    }
  }

  async #write<T>(
    orgId: string,
    apply: (place: Placement) => Promise<T>,
    undoStray?: (place: Placement) => Promise<unknown>,
  ): Promise<T> {
    let access = await this.#access(orgId, true);
    if (access && (!access.write || access.owes)) access = await this.#recoverAbandoned(orgId, access);
    if (!access) throw orgGone();
    if (!access.write) throw migrating();
    const touched: Placement[] = [];
    for (let attempt = 1; ; attempt += 1) {
      const place = access.placement;
      let result: T;
      try {
        result = await apply(place);
      } catch (error) {
        if (!(error instanceof PlaceGoneError)) throw error;
        // The place was renamed or dropped under the write, which did nothing: wait for where the
        // data is now and write there.
        const moved = await this.#waitFor(orgId, (a) => a.write && !samePlace(a.placement, place), unconfirmed);
        if (!moved) throw orgGone();
        if (attempt >= MAX_ATTEMPTS) throw unconfirmed();
        access = moved;
        continue;
      }
      if (!touched.some((p) => samePlace(p, place))) touched.push(place);
      const after = await this.#access(orgId, true);
      if (after?.write && unchanged(after, access)) {
        if (touched.length > 1) await this.#cleanUp(touched, after.placement, undoStray);
        return result;
      }
      // The data moved (or is moving) while we wrote: wait for the move to end, then write again.
      metrics.count('fencedWrite');
      const settled = after?.write ? after : await this.#waitFor(orgId, (a) => a.write, unconfirmed);
      if (!settled) {
        // The organization was deleted while we wrote. A create is undone, and answered 404. A
        // change of an existing record cannot be undone: it stands in an archived organization's
        // kept data (back on a restore), so the answer cannot say it was not applied.
        await this.#cleanUp(touched, undefined, undoStray);
        if (!undoStray && (await this.#deps.orgs.findById(orgId))) throw deletedWhileWriting();
        throw orgGone();
      }
      if (attempt >= MAX_ATTEMPTS) throw unconfirmed();
      access = settled;
    }
  }

  /** Removes what a write left in places the organization no longer uses. Best effort: see above. */
  async #cleanUp(
    touched: readonly Placement[],
    current: Placement | undefined,
    undoStray?: (place: Placement) => Promise<unknown>,
  ): Promise<void> {
    for (const place of touched) {
      if (current && samePlace(place, current)) continue;
      try {
        await undoStray?.(place);
        await this.#deps.releasePlace(place);
      } catch (error) {
        log.warn('stray write not cleaned up; it stays invisible and reconcile removes the place', {
          database: place.database,
          collection: place.collection,
          ...errorFields(error),
        });
      }
    }
  }

  async #read<T>(orgId: string, run: (place: Placement) => Promise<T>): Promise<T> {
    let access = await this.#access(orgId, false);
    for (let attempt = 1; ; attempt += 1) {
      if (access && !access.read) access = await this.#waitFor(orgId, (a) => a.read, migrating);
      if (!access) throw orgGone();
      let result: { value: T } | undefined;
      try {
        result = { value: await run(access.placement) };
      } catch (error) {
        if (!(error instanceof PlaceGoneError)) throw error;
        result = undefined; // the place went under the read: read again where the data is now
      }
      const after = await this.#access(orgId, true);
      if (after?.read && unchanged(after, access) && result) return result.value;
      if (attempt >= MAX_ATTEMPTS) throw migrating();
      access = after;
    }
  }
}
