import { randomUUID } from 'node:crypto';
import { type Placement, samePlace } from '#core/orgs/model.ts';
import type { CopyBatch, PlaceName, TenantSpaces, VerifiedBatch } from '#core/orgs/stores.ts';
import { copy } from './copy.ts';

/** A record as a place holds it: its id, the generation it was written under, and its data. */
export interface FakeRecord {
  readonly id: string;
  readonly gen?: string;
  readonly data: Record<string, unknown>;
}

interface Place {
  readonly name: PlaceName;
  readonly mode: Placement['mode'];
  /** The collection's identity (its UUID): new each time the collection is created. */
  readonly uuid: string;
  readonly records: Map<string, FakeRecord>;
}

const key = (place: PlaceName) => `${place.database}.${place.collection}`;

/**
 * In-memory {@link TenantSpaces} with the semantics of `MongoTenantSpaces`: every method idempotent;
 * `drop` of a database-mode place drops its whole database; `identify` creates a missing collection;
 * `move` renames the collection `sourceId` identifies within one database (a stray under the target
 * name is dropped; a missing source leaves an empty target); `copyBatch` needs a new place with its
 * own generation, copies the records of the source's generation (and untagged ones) in id order after
 * a checkpoint, re-tagging them with the target's generation and leaving ones there already;
 * `verifyBatch` makes the target's range exactly the batch; strays of other generations stay behind.
 */
export class FakeTenantSpaces implements TenantSpaces {
  readonly #places = new Map<string, Place>();

  async create(placement: Placement): Promise<void> {
    this.#ensure(placement);
  }

  #ensure(placement: Placement): Place {
    const existing = this.#places.get(key(placement));
    if (existing) return existing;
    const place: Place = {
      name: { database: placement.database, collection: placement.collection },
      mode: placement.mode,
      uuid: randomUUID(),
      records: new Map(),
    };
    this.#places.set(key(placement), place);
    return place;
  }

  async drop(placement: Placement): Promise<void> {
    if (placement.mode === 'database') {
      for (const [k, place] of this.#places) if (place.name.database === placement.database) this.#places.delete(k);
      return;
    }
    this.#places.delete(key(placement));
  }

  async identify(placement: Placement): Promise<string | undefined> {
    await this.create(placement);
    return this.#places.get(key(placement))?.uuid;
  }

  async renameCollection(from: Placement, to: Placement, sourceId?: string): Promise<void> {
    if (from.database !== to.database) throw new Error('A collection can only be renamed within its database');
    if (from.collection === to.collection) return;
    const source = this.#places.get(key(from));
    const target = this.#places.get(key(to));
    if (sourceId === undefined) {
      // A server that reports no identities: a missing source means it moved already.
      if (!source) return void this.#ensure(to);
      if (target) throw Object.assign(new Error('target namespace exists'), { code: 48 });
    } else {
      if (target?.uuid === sourceId) return; // moved already
      this.#places.delete(key(to)); // whatever holds the target name is a stray a late write made
      if (source?.uuid !== sourceId) return void this.#ensure(to); // the source is missing: an empty one
    }
    if (!source) return;
    this.#places.delete(key(from));
    this.#places.set(key(to), { ...source, name: { database: to.database, collection: to.collection }, mode: to.mode });
  }

  async copyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<CopyBatch> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const target = this.#ensure(to);
    const batch = this.#after(from, after, limit);
    await beforeWrite?.();
    for (const record of batch) if (!target.records.has(record.id)) target.records.set(record.id, this.#retag(record, from, to));
    const last = batch.at(-1)?.id;
    return { ...(last !== undefined ? { last } : {}), documents: batch.length, done: batch.length < limit };
  }

  async verifyBatch(
    from: Placement,
    to: Placement,
    after: string | undefined,
    limit: number,
    beforeWrite?: () => Promise<void>,
  ): Promise<VerifiedBatch> {
    if (samePlace(from, to) || !to.gen) throw new Error('A copy needs a new place with its own generation');
    const target = this.#ensure(to);
    const batch = this.#after(from, after, limit);
    const last = batch.at(-1)?.id;
    const done = batch.length < limit;
    await beforeWrite?.();
    let repaired = 0;
    for (const [id] of target.records) {
      const inRange = (after === undefined || id > after) && (done || (last !== undefined && id <= last));
      if (inRange && !batch.some((record) => record.id === id)) {
        target.records.delete(id); // extra
        repaired += 1;
      }
    }
    for (const record of batch) {
      const want = this.#retag(record, from, to);
      if (JSON.stringify(target.records.get(record.id)) !== JSON.stringify(want)) {
        target.records.set(record.id, want);
        repaired += 1;
      }
    }
    return { ...(last !== undefined ? { last } : {}), documents: batch.length, repaired, done };
  }

  /** The source's copyable records after `after`, in id order, at most `limit`. */
  #after(from: Placement, after: string | undefined, limit: number): FakeRecord[] {
    return this.#copyable(from)
      .filter((record) => after === undefined || record.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  async copyRest(_from: Placement, _to: Placement): Promise<{ documents: number }> {
    return { documents: 0 }; // every fake record id is in the `copyBatch` order
  }

  /** The source's records of its generation (and untagged ones); strays a late write left are not copied. */
  #copyable(from: Placement): FakeRecord[] {
    const source = this.#places.get(key(from));
    return [...(source?.records.values() ?? [])].filter((record) => {
      const gen = record.gen ?? null;
      return gen === (from.gen ?? null) || gen === null;
    });
  }

  #retag(record: FakeRecord, from: Placement, to: Placement): FakeRecord {
    return copy({ ...record, ...((record.gen ?? null) === (from.gen ?? null) ? { gen: to.gen } : {}) });
  }

  async list(): Promise<Placement[]> {
    return [...this.#places.values()].map((place) => ({ mode: place.mode, ...place.name }));
  }

  /** True when the place exists. */
  exists(place: PlaceName): boolean {
    return this.#places.has(key(place));
  }

  /** Writes a record into the place (creating it), as the records service would; `gen` defaults to the placement's. */
  write(placement: Placement, record: Omit<FakeRecord, 'gen'> & { readonly gen?: string }): void {
    const gen = 'gen' in record ? record.gen : placement.gen;
    this.#ensure(placement).records.set(record.id, copy({ ...record, ...(gen ? { gen } : {}) }));
  }

  /** The records a place holds (every generation), for assertions; empty when it does not exist. */
  records(place: PlaceName): FakeRecord[] {
    return [...(this.#places.get(key(place))?.records.values() ?? [])].map(copy);
  }

  /** Every existing place's `database.collection`, for assertions. */
  names(): string[] {
    return [...this.#places.keys()];
  }
}
