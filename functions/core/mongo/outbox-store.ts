import { type Collection, type Db, ObjectId } from 'mongodb';
import type { OutboxMessage, OutboxStore } from '../mail/outbox.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';

/**
 * The MongoDB adapter for the outbox (`outbox` in the master database). `state` is `queued` until
 * the message is `sent` or `failed` (given up on); the reconciler reads queued messages by
 * `{ state, nextAttemptAt }` (an index). The body (`text`) is unset when the message leaves the queue.
 */

export interface OutboxDoc {
  _id: ObjectId;
  state: 'queued' | 'sent' | 'failed';
  to: string;
  subject: string;
  text?: string;
  about?: string;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date;
  sentAt?: Date;
  failedAt?: Date;
}

function toMessage(doc: OutboxDoc): OutboxMessage {
  const { _id, state, ...rest } = doc;
  return { ...rest, id: _id.toHexString() };
}

export class MongoOutboxStore implements OutboxStore {
  readonly #col: Collection<OutboxDoc>;

  constructor(col: Collection<OutboxDoc>) {
    this.#col = col;
  }

  async insert(message: OutboxMessage): Promise<void> {
    const { id, ...rest } = message;
    await this.#col.insertOne({ ...rest, _id: new ObjectId(id), state: 'queued' });
  }

  async takeDue(now: Date, limit: number, leaseMs: number): Promise<OutboxMessage[]> {
    const due = await this.#col
      .find({ state: 'queued', nextAttemptAt: { $lte: now } })
      .sort({ state: 1, nextAttemptAt: 1 })
      .limit(limit)
      .toArray();
    if (due.length === 0) return [];
    const leased = new Date(now.getTime() + leaseMs);
    // Leased only if still queued and due: another drain that leased it first keeps it.
    const taken: OutboxMessage[] = [];
    for (const doc of due) {
      const result = await this.#col.updateOne(
        { _id: doc._id, state: 'queued', nextAttemptAt: doc.nextAttemptAt },
        { $set: { nextAttemptAt: leased } },
      );
      if (result.modifiedCount > 0) taken.push(toMessage(doc));
    }
    return taken;
  }

  async sent(id: string, at: Date): Promise<void> {
    await this.#col.updateOne(
      { _id: new ObjectId(id) },
      { $set: { state: 'sent', sentAt: at }, $unset: { text: '' }, $inc: { attempts: 1 } },
    );
  }

  async failed(id: string, attempts: number, nextAttemptAt: Date): Promise<void> {
    await this.#col.updateOne({ _id: new ObjectId(id), state: 'queued' }, { $set: { attempts, nextAttemptAt } });
  }

  async abandoned(id: string, attempts: number, at: Date): Promise<void> {
    await this.#col.updateOne(
      { _id: new ObjectId(id) },
      { $set: { state: 'failed', attempts, failedAt: at }, $unset: { text: '' } },
    );
  }
}

/** The outbox store on `db`'s `outbox` collection, with outages mapped to 503. */
export function mongoOutboxStore(db: Db): OutboxStore {
  return withUnavailableMapping(new MongoOutboxStore(db.collection<OutboxDoc>(MASTER_COLLECTIONS.outbox)));
}
