import type { EventState, EventType, LifecycleEvent } from './model.ts';

/**
 * The port of the event log; `#core/mongo/event-store.ts` implements it on MongoDB. Every method is
 * one round trip on one collection (the sequence counter is its own collection).
 */

/** What the audit log filters by; every filter is optional. */
export interface EventFilter {
  readonly types?: readonly EventType[];
  /** The acting user's id. */
  readonly actorId?: string;
  /** Events at or after this time. */
  readonly since?: Date;
  /** Events before this time. */
  readonly until?: Date;
}

export interface EventPage {
  readonly items: readonly LifecycleEvent[];
  /** The sequence number to pass as `before` for the next (older) page; absent on the last page. */
  readonly next?: number;
}

/** An event as stored: the public fields and what settles it. */
export interface StoredEvent extends LifecycleEvent {
  /** Internal evidence for settling a pending event (a token version, say); never shown or delivered. */
  readonly proof?: Readonly<Record<string, unknown>>;
}

export interface EventStore {
  /**
   * The next sequence number of `orgId`'s log (an increment of a counter document). On a server whose
   * updates are not atomic two callers may get one number; the unique `(orgId, seq)` index refuses the
   * second insert ({@link insert} answers `seq_taken`) and the caller draws again.
   */
  nextSeq(orgId: string): Promise<number>;
  /** `exists`: an event with this id is stored already (a repeated begin); `seq_taken`: see {@link nextSeq}. */
  insert(event: StoredEvent): Promise<'ok' | 'exists' | 'seq_taken'>;
  findById(id: string): Promise<StoredEvent | null>;
  /** Marks a pending event committed (and due for delivery); false when it is not pending. */
  commit(id: string, at: Date): Promise<boolean>;
  /** Removes a pending event; a committed one stays. */
  drop(id: string): Promise<void>;
  /** Pending events: of `orgId` when given, begun before `before` when given, oldest first, at most `limit`. */
  listPending(options: { orgId?: string; before?: Date; limit: number }): Promise<StoredEvent[]>;
  /**
   * Committed, unexpired (at `now`) events of `orgId`, newest first (by sequence number), `limit` at
   * a time, older than sequence number `before`.
   */
  page(orgId: string, filter: EventFilter, options: { limit: number; before?: number; now: Date }): Promise<EventPage>;
  /** True when `orgId` has an event of `type` about `targetId` (in any state) after sequence number `after`. */
  hasLater(orgId: string, type: EventType, targetId: string, after: number): Promise<boolean>;
  /** Committed events not yet handed to the dispatcher, oldest first, at most `limit`. */
  listUndispatched(limit: number): Promise<StoredEvent[]>;
  /** Marks events handed to the dispatcher. */
  markDispatched(ids: readonly string[], at: Date): Promise<void>;
}

export type { EventState };
