import { type AnyBulkWriteOperation, type Collection, type Db, type Filter, ObjectId } from 'mongodb';
import type { Delivery, DeliveryAttempt, WebhookEndpoint } from '../webhooks/model.ts';
import type { WebhookStore } from '../webhooks/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { isDuplicateKey } from './compat.ts';
import { withUnavailableMapping } from './errors.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for webhooks: `webhook_endpoints` (ObjectId ids), `webhook_deliveries` (string
 * ids `<event>:<endpoint>`), `webhook_attempts` (ObjectId ids, newest last; TTL on `expiresAt`).
 */

type EndpointDoc = Omit<WebhookEndpoint, 'id'> & { _id: ObjectId };
type DeliveryDoc = Omit<Delivery, 'id'> & { _id: string };
type AttemptDoc = Omit<DeliveryAttempt, 'id'> & { _id: ObjectId };

const toEndpoint = ({ _id, ...rest }: EndpointDoc): WebhookEndpoint => ({ ...rest, id: _id.toHexString() });
const toDelivery = ({ _id, ...rest }: DeliveryDoc): Delivery => ({ ...rest, id: _id });
const toAttempt = ({ _id, ...rest }: AttemptDoc): DeliveryAttempt => ({ ...rest, id: _id.toHexString() });

export class MongoWebhookStore implements WebhookStore {
  readonly #endpoints: Collection<EndpointDoc>;
  readonly #deliveries: Collection<DeliveryDoc>;
  readonly #attempts: Collection<AttemptDoc>;

  constructor(db: Db) {
    this.#endpoints = db.collection<EndpointDoc>(MASTER_COLLECTIONS.webhookEndpoints);
    this.#deliveries = db.collection<DeliveryDoc>(MASTER_COLLECTIONS.webhookDeliveries);
    this.#attempts = db.collection<AttemptDoc>(MASTER_COLLECTIONS.webhookAttempts);
  }

  async insertEndpoint(endpoint: WebhookEndpoint): Promise<void> {
    const { id, ...rest } = endpoint;
    await this.#endpoints.insertOne({ ...rest, _id: new ObjectId(id) });
  }

  async findEndpoint(orgId: string, id: string): Promise<WebhookEndpoint | null> {
    const _id = oid(id);
    const doc = _id && (await this.#endpoints.findOne({ _id, orgId }));
    return doc ? toEndpoint(doc) : null;
  }

  async listEndpoints(orgId: string, limit: number): Promise<WebhookEndpoint[]> {
    return (await this.#endpoints.find({ orgId }).sort({ orgId: 1, _id: 1 }).limit(limit).toArray()).map(toEndpoint);
  }

  async removeEndpoint(orgId: string, id: string): Promise<boolean> {
    const _id = oid(id);
    return _id ? (await this.#endpoints.deleteOne({ _id, orgId })).deletedCount > 0 : false;
  }

  async recordOutcome(id: string, ok: boolean): Promise<WebhookEndpoint | null> {
    const _id = oid(id);
    if (!_id) return null;
    const update = ok ? { $set: { consecutiveFailures: 0 } } : { $inc: { consecutiveFailures: 1 } };
    const doc = await this.#endpoints.findOneAndUpdate({ _id }, update, { returnDocument: 'after' });
    return doc ? toEndpoint(doc) : null;
  }

  async disable(id: string, at: Date): Promise<boolean> {
    const _id = oid(id);
    if (!_id) return false;
    const result = await this.#endpoints.updateOne({ _id, state: 'enabled' }, { $set: { state: 'disabled', disabledAt: at } });
    return result.modifiedCount > 0;
  }

  async insertDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const ops: AnyBulkWriteOperation<DeliveryDoc>[] = deliveries.map(({ id, ...rest }) => ({
      insertOne: { document: { ...rest, _id: id } },
    }));
    try {
      await this.#deliveries.bulkWrite(ops, { ordered: false });
    } catch (error) {
      // A delivery made by an earlier run that died before marking its event: it stands as it is.
      const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
      const onlyDuplicates = Array.isArray(writeErrors) && writeErrors.every((e) => e.code === 11000);
      if (!onlyDuplicates && !isDuplicateKey(error)) throw error;
    }
  }

  async takeDue(now: Date, limit: number, leaseMs: number): Promise<Delivery[]> {
    const due = await this.#deliveries
      .find({ state: 'pending', nextAttemptAt: { $lte: now } }, { projection: { _id: 1 } })
      .sort({ state: 1, nextAttemptAt: 1 })
      .limit(limit)
      .toArray();
    if (due.length === 0) return [];
    // One lease for the batch, named by a token: of two runs that lease the same delivery, the one
    // whose token it carries afterwards sends it (three round trips, not one per delivery).
    const lease = new ObjectId().toHexString();
    const ids = due.map((d) => d._id);
    await this.#deliveries.updateMany(
      { _id: { $in: ids }, state: 'pending', nextAttemptAt: { $lte: now } },
      { $set: { nextAttemptAt: new Date(now.getTime() + leaseMs), lease } },
    );
    const taken = await this.#deliveries.find({ _id: { $in: ids }, lease } as Filter<DeliveryDoc>).toArray();
    return taken.map(({ lease: _, ...doc }: DeliveryDoc & { lease?: string }) => toDelivery(doc));
  }

  async recordAttempts(
    attempts: readonly DeliveryAttempt[],
    deliveries: readonly Pick<Delivery, 'id' | 'state' | 'attempts' | 'nextAttemptAt'>[],
  ): Promise<void> {
    if (attempts.length > 0) {
      await this.#attempts.insertMany(attempts.map(({ id, ...rest }) => ({ ...rest, _id: new ObjectId(id) })));
    }
    // One update per delivery, side by side (an unordered bulk write of updates stalls FerretDB).
    await Promise.all(deliveries.map(({ id, ...changes }) => this.#deliveries.updateOne({ _id: id }, { $set: changes })));
  }

  async pageAttempts(
    orgId: string,
    endpointId: string,
    options: { limit: number; before?: string; now: Date },
  ): Promise<{ items: DeliveryAttempt[]; next?: string }> {
    const filter: Filter<AttemptDoc> = { endpointId, orgId, expiresAt: { $gt: options.now } };
    const before = options.before ? oid(options.before) : null;
    if (before) filter._id = { $lt: before };
    const docs = await this.#attempts
      .find(filter)
      .sort({ endpointId: 1, _id: -1 })
      .limit(options.limit + 1)
      .toArray();
    const items = docs.slice(0, options.limit).map(toAttempt);
    const last = docs.length > options.limit ? items[items.length - 1] : undefined;
    return last ? { items, next: last.id } : { items };
  }
}

/** The webhook store on `db`, with outages mapped to 503. */
export function mongoWebhookStore(db: Db): WebhookStore {
  return withUnavailableMapping(new MongoWebhookStore(db));
}
