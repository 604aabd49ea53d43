import type { EventType } from '#core/events/model.ts';
import type { EventFilter, EventPage, EventStore, StoredEvent } from '#core/events/stores.ts';

/** An in-memory {@link EventStore}, with the MongoDB adapter's rules (unique id, unique sequence number per organization). */
export class FakeEventStore implements EventStore {
  readonly #events = new Map<string, StoredEvent & { dispatched?: boolean }>();
  readonly #seqs = new Map<string, number>();

  async nextSeq(orgId: string): Promise<number> {
    const next = (this.#seqs.get(orgId) ?? 0) + 1;
    this.#seqs.set(orgId, next);
    return next;
  }

  async insert(event: StoredEvent): Promise<'ok' | 'exists' | 'seq_taken'> {
    if (this.#events.has(event.id)) return 'exists';
    if ([...this.#events.values()].some((e) => e.orgId === event.orgId && e.seq === event.seq)) return 'seq_taken';
    this.#events.set(event.id, { ...event });
    return 'ok';
  }

  async findById(id: string): Promise<StoredEvent | null> {
    return this.#events.get(id) ?? null;
  }

  async commit(id: string): Promise<boolean> {
    const event = this.#events.get(id);
    if (event?.state !== 'pending') return false;
    this.#events.set(id, { ...event, state: 'committed' });
    return true;
  }

  async drop(id: string): Promise<void> {
    if (this.#events.get(id)?.state === 'pending') this.#events.delete(id);
  }

  async listPending(options: { orgId?: string; before?: Date; limit: number }): Promise<StoredEvent[]> {
    return this.all()
      .filter((e) => e.state === 'pending' && (!options.orgId || e.orgId === options.orgId))
      .filter((e) => !options.before || e.time < options.before)
      .slice(0, options.limit);
  }

  async page(orgId: string, filter: EventFilter, options: { limit: number; before?: number; now: Date }): Promise<EventPage> {
    const matching = this.all()
      .filter((e) => e.orgId === orgId && e.state === 'committed' && e.expiresAt > options.now)
      .filter((e) => options.before === undefined || e.seq < options.before)
      .filter((e) => !filter.types?.length || filter.types.includes(e.type))
      .filter((e) => !filter.actorId || e.actor.id === filter.actorId)
      .filter((e) => (!filter.since || e.time >= filter.since) && (!filter.until || e.time < filter.until))
      .sort((a, b) => b.seq - a.seq);
    const items = matching.slice(0, options.limit);
    const last = items[items.length - 1];
    return matching.length > options.limit && last ? { items, next: last.seq } : { items };
  }

  async hasLater(orgId: string, type: EventType, targetId: string, after: number): Promise<boolean> {
    return this.all().some((e) => e.orgId === orgId && e.type === type && e.target.id === targetId && e.seq > after);
  }

  async listUndispatched(limit: number): Promise<StoredEvent[]> {
    return [...this.#events.values()].filter((e) => e.state === 'committed' && !e.dispatched).slice(0, limit);
  }

  async markDispatched(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const event = this.#events.get(id);
      if (event) this.#events.set(id, { ...event, dispatched: true });
    }
  }

  /** Every event, oldest first, for assertions. */
  all(): StoredEvent[] {
    return [...this.#events.values()].sort((a, b) => a.time.getTime() - b.time.getTime() || a.seq - b.seq);
  }

  /** The committed events, oldest first. */
  committed(): StoredEvent[] {
    return this.all().filter((e) => e.state === 'committed');
  }
}
