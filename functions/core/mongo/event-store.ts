import type { Collection, Db, Filter } from 'mongodb';
import type { EventState, EventType } from '../events/model.ts';
import type { EventFilter, EventPage, EventStore, StoredEvent } from '../events/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';

/**
 * The MongoDB adapter for the event log (`events` and `event_sequences` in the master database).
 * Indexes (see indexes.ts): `(orgId, seq)` unique, the audit log's order; `(state, time)` for the
 * reconciler's pending scan; `(dispatch, time)` for the dispatcher; TTL on `expiresAt`.
 */

export interface EventDoc extends Omit<StoredEvent, 'id'> {
  _id: string;
  /** `due` once committed until the dispatcher has taken it; then `done`. Absent while pending. */
  dispatch?: 'due' | 'done';
  committedAt?: Date;
}

interface SequenceDoc {
  _id: string;
  seq: number;
}

function toEvent(doc: EventDoc): StoredEvent {
  const { _id, dispatch, committedAt, ...rest } = doc;
  return { ...rest, id: _id };
}

export class MongoEventStore implements EventStore {
  readonly #col: Collection<EventDoc>;
  readonly #seqs: Collection<SequenceDoc>;

  constructor(col: Collection<EventDoc>, seqs: Collection<SequenceDoc>) {
    this.#col = col;
    this.#seqs = seqs;
  }

  async nextSeq(orgId: string): Promise<number> {
    const doc = await this.#seqs.findOneAndUpdate(
      { _id: orgId },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    return doc?.seq ?? 1;
  }

  async insert(event: StoredEvent): Promise<'ok' | 'exists' | 'seq_taken'> {
    const { id, ...rest } = event;
    try {
      await this.#col.insertOne({
        ...rest,
        _id: id,
        ...(event.state === 'committed' ? { dispatch: 'due', committedAt: event.time } : {}),
      });
      return 'ok';
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      // Which key: the id (a repeated begin) or the sequence number (see nextSeq).
      return (await this.#col.findOne({ _id: id }, { projection: { _id: 1 } })) ? 'exists' : 'seq_taken';
    }
  }

  async findById(id: string): Promise<StoredEvent | null> {
    const doc = await this.#col.findOne({ _id: id });
    return doc ? toEvent(doc) : null;
  }

  async commit(id: string, at: Date): Promise<boolean> {
    const result = await this.#col.updateOne(
      { _id: id, state: 'pending' },
      { $set: { state: 'committed' as EventState, dispatch: 'due', committedAt: at } },
    );
    return result.modifiedCount > 0;
  }

  async drop(id: string): Promise<void> {
    await this.#col.deleteOne({ _id: id, state: 'pending' });
  }

  async listPending(options: { orgId?: string; before?: Date; limit: number }): Promise<StoredEvent[]> {
    const filter: Record<string, unknown> = { state: 'pending' };
    if (options.orgId) filter.orgId = options.orgId;
    if (options.before) filter.time = { $lt: options.before };
    const docs = await this.#col
      .find(filter as Filter<EventDoc>)
      .sort({ time: 1 })
      .limit(options.limit)
      .toArray();
    return docs.map(toEvent);
  }

  async page(orgId: string, filter: EventFilter, options: { limit: number; before?: number; now: Date }): Promise<EventPage> {
    const query: Record<string, unknown> = { orgId, state: 'committed', expiresAt: { $gt: options.now } };
    if (options.before !== undefined) query.seq = { $lt: options.before };
    if (filter.types && filter.types.length > 0) query.type = { $in: [...filter.types] };
    if (filter.actorId) query['actor.id'] = filter.actorId;
    if (filter.since || filter.until) {
      query.time = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
    }
    const docs = await this.#col
      .find(query as Filter<EventDoc>, { projection: { proof: 0 } })
      .sort({ orgId: 1, seq: -1 })
      .limit(options.limit + 1)
      .toArray();
    const items = docs.slice(0, options.limit).map(toEvent);
    const last = docs.length > options.limit ? items[items.length - 1] : undefined;
    return last ? { items, next: last.seq } : { items };
  }

  async hasLater(orgId: string, type: EventType, targetId: string, after: number): Promise<boolean> {
    const doc = await this.#col.findOne({ orgId, type, 'target.id': targetId, seq: { $gt: after } }, { projection: { _id: 1 } });
    return doc !== null;
  }

  async listUndispatched(limit: number): Promise<StoredEvent[]> {
    const docs = await this.#col.find({ dispatch: 'due' }).sort({ dispatch: 1, committedAt: 1 }).limit(limit).toArray();
    return docs.map(toEvent);
  }

  async markDispatched(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#col.updateMany({ _id: { $in: [...ids] } }, { $set: { dispatch: 'done' } });
  }
}

/** The event store on `db`, with outages mapped to 503. */
export function mongoEventStore(db: Db): EventStore {
  return withUnavailableMapping(
    new MongoEventStore(
      db.collection<EventDoc>(MASTER_COLLECTIONS.events),
      db.collection<SequenceDoc>(MASTER_COLLECTIONS.eventSequences),
    ),
  );
}
