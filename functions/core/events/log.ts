import { newId } from '../ids.ts';
import { errorFields, log } from '../log.ts';
import { currentRequest } from '../request-context.ts';
import { type EventActor, type EventDraft, type EventFamily, familyOf, type LifecycleEvent } from './model.ts';
import type { EventFilter, EventPage, EventStore, StoredEvent } from './stores.ts';

/**
 * The event log: the one way the service records what happened (see `./model.ts` for the guarantee).
 *
 * - {@link EventLog.around}: the common case, one call around a change.
 * - {@link EventLog.begin} / {@link EventLog.commit} / {@link EventLog.drop}: for operations that
 *   record the event's id on themselves and commit it as they finish (create, rename, move, delete).
 * - {@link EventLog.record}: a fact with nothing to undo (a login attempt), committed at once.
 *
 * @example
 * await events.around({ orgId, type: 'member.role_changed', target: { type: 'user', id }, data: { role } },
 *   () => memberships.setRole(orgId, id, role, now));
 */

/** What a pending event's state says: the change happened (`commit`), did not (`drop`), or is still running (`wait`). */
export type Verdict = 'commit' | 'drop' | 'wait';

/** Decides a pending event by reading the state its change leaves behind (see `./settle.ts`). */
export type Settler = (event: StoredEvent) => Promise<Verdict>;

export interface EventLogOptions {
  readonly settle: Settler;
  /** How long events stay in the audit log (ms). */
  readonly retentionMs: number;
  readonly now?: () => Date;
}

/** What {@link EventLog.settleDue} did. */
export interface SettleReport {
  readonly committed: number;
  readonly dropped: number;
}

/** A new event id: `evt_` and 24 hex digits (time-ordered, as {@link newId}). */
export const newEventId = (): string => `evt_${newId()}`;

/** How often an insert may meet a sequence number another writer drew before it gives up. */
const SEQ_TRIES = 8;

export class EventLog {
  readonly #store: EventStore;
  readonly #settle: Settler;
  readonly #retentionMs: number;
  readonly #now: () => Date;

  constructor(store: EventStore, options: EventLogOptions) {
    this.#store = store;
    this.#settle = options.settle;
    this.#retentionMs = options.retentionMs;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Writes the event `pending`, before its change. With `settleFirst`, the organization's pending
   * events of the same family (see `familyOf`) are settled first: pass it while holding that
   * family's lock, when every other pending event of the family belongs to a run that has ended.
   *
   * @returns the stored event (the one stored already, when its id was begun before).
   * @throws a store failure: nothing was changed, do not make the change.
   */
  async begin(
    draft: EventDraft,
    options: { settleFirst?: boolean; proof?: Record<string, unknown> } = {},
  ): Promise<LifecycleEvent> {
    if (options.settleFirst) await this.settleFamily(draft.orgId, familyOf(draft.type));
    return this.#insert(draft, 'pending', options.proof);
  }

  /** Marks a pending event committed: its change has happened. A committed one stays as it is. */
  async commit(id: string): Promise<void> {
    await this.#store.commit(id, this.#now());
  }

  /** Removes a pending event: its change did not happen (and never will). */
  async drop(id: string): Promise<void> {
    await this.#store.drop(id);
  }

  /**
   * Records the event around `change`: begun before it, committed after it. When `change` throws,
   * the state decides at once (the change may have been made before the failure) and the error is
   * thrown; if even that cannot be read, the event stays pending for the reconciler.
   *
   * @throws what `change` throws, or a store failure of the begin (then `change` never ran) or of the commit.
   */
  async around<T>(
    draft: EventDraft,
    change: () => Promise<T>,
    options: { settleFirst?: boolean; proof?: Record<string, unknown> } = {},
  ): Promise<T> {
    const event = await this.begin(draft, options);
    let result: T;
    try {
      result = await change();
    } catch (error) {
      await this.#settleOne(event.id).catch((settleError) =>
        log.warn('event not settled; the reconciler will', { eventId: event.id, ...errorFields(settleError) }),
      );
      throw error;
    }
    await this.commit(event.id);
    return result;
  }

  /** Records a fact that has happened (nothing to undo), committed at once. */
  record(draft: EventDraft): Promise<LifecycleEvent> {
    return this.#insert(draft, 'committed');
  }

  /** Settles `orgId`'s pending events of `family` (see {@link begin}'s `settleFirst`). */
  async settleFamily(orgId: string, family: EventFamily): Promise<void> {
    const pending = await this.#store.listPending({ orgId, limit: 100 });
    for (const event of pending) if (familyOf(event.type) === family) await this.#apply(event);
  }

  /**
   * Settles pending events begun more than `olderThanMs` ago (their runs have ended or been taken
   * over), at most `limit`: the reconciler's part.
   */
  async settleDue(olderThanMs: number, limit = 200): Promise<SettleReport> {
    const before = new Date(this.#now().getTime() - olderThanMs);
    const report = { committed: 0, dropped: 0 };
    for (const event of await this.#store.listPending({ before, limit })) {
      try {
        const verdict = await this.#apply(event);
        if (verdict === 'commit') report.committed += 1;
        if (verdict === 'drop') report.dropped += 1;
      } catch (error) {
        log.error('event not settled; the next run tries again', { eventId: event.id, ...errorFields(error) });
      }
    }
    return report;
  }

  /** One page of `orgId`'s committed events, newest first; see {@link EventStore.page}. */
  page(orgId: string, filter: EventFilter, limit: number, before?: number): Promise<EventPage> {
    return this.#store.page(orgId, filter, { limit, now: this.#now(), ...(before !== undefined ? { before } : {}) });
  }

  /**
   * Settles one pending event now, by its rule (for a change whose outcome its caller does not know).
   * A committed or missing event is left alone.
   */
  settle(id: string): Promise<void> {
    return this.#settleOne(id);
  }

  /**
   * Commits an event whose change has been made and acknowledged as made; a failure is logged, not
   * thrown (the event is stored and its rule commits it at the reconciler's next run).
   */
  async commitAfter(id: string): Promise<void> {
    await this.commit(id).catch((error) =>
      log.warn('event not marked committed; the reconciler will', { eventId: id, ...errorFields(error) }),
    );
  }

  async #settleOne(id: string): Promise<void> {
    const event = await this.#store.findById(id);
    if (event?.state === 'pending') await this.#apply(event);
  }

  async #apply(event: StoredEvent): Promise<Verdict> {
    const verdict = await this.#settle(event);
    if (verdict === 'commit') await this.#store.commit(event.id, this.#now());
    if (verdict === 'drop') await this.#store.drop(event.id);
    return verdict;
  }

  async #insert(draft: EventDraft, state: 'pending' | 'committed', proof?: Record<string, unknown>): Promise<LifecycleEvent> {
    const time = this.#now();
    const base = {
      id: draft.id ?? newEventId(),
      orgId: draft.orgId,
      type: draft.type,
      actor: draft.actor ?? actorOfRequest(),
      target: draft.target,
      data: draft.data ?? {},
      time,
      state,
      expiresAt: new Date(time.getTime() + this.#retentionMs),
      ...(proof ? { proof } : {}),
    };
    for (let attempt = 1; attempt <= SEQ_TRIES; attempt += 1) {
      const event: StoredEvent = { ...base, seq: await this.#store.nextSeq(draft.orgId) };
      const outcome = await this.#store.insert(event);
      if (outcome === 'ok') return event;
      if (outcome === 'exists') {
        const stored = await this.#store.findById(base.id);
        if (stored) return stored;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    }
    throw new Error(`no sequence number for an event of ${draft.orgId} after ${SEQ_TRIES} tries`);
  }
}

/** The caller of the current request as an actor (a user with address and agent), else the service itself. */
export function actorOfRequest(): EventActor {
  const request = currentRequest();
  if (!request?.userId) return { type: 'system' };
  return {
    type: 'user',
    id: request.userId,
    ...(request.sourceIp ? { ip: request.sourceIp } : {}),
    ...(request.userAgent ? { userAgent: request.userAgent } : {}),
  };
}

/** A user as the actor, with the current request's address and agent (for routes without a caller: login, accept). */
export function userActor(userId: string): EventActor {
  const request = currentRequest();
  return {
    type: 'user',
    id: userId,
    ...(request?.sourceIp ? { ip: request.sourceIp } : {}),
    ...(request?.userAgent ? { userAgent: request.userAgent } : {}),
  };
}

/** The default retention when none is configured: 90 days (ms). */
export const DEFAULT_RETENTION_MS = 90 * 86_400_000;
