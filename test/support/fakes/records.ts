import type { Placement } from '#core/orgs/model.ts';
import type { RecordData, StoredRecord } from '#core/records/model.ts';
import type { RecordQuery, RecordStore } from '#core/records/stores.ts';

const key = (place: Placement) => `${place.database}.${place.collection}`;

/** The values a filter string also matches, as `MongoRecordStore` does: a number, boolean or null it spells. */
function matches(value: unknown, wanted: string): boolean {
  if (value === wanted) return true;
  if (wanted === 'null') return value === null;
  if (wanted === 'true' || wanted === 'false') return value === (wanted === 'true');
  return typeof value === 'number' && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(wanted) && value === Number(wanted);
}

/**
 * In-memory {@link RecordStore} with the semantics of `MongoRecordStore`: each place holds records
 * tagged with the generation they were written under, and only the place's current generation
 * counts; newest first by creation time then id; a guarded update applies only at the revision read.
 */
export class FakeRecordStore implements RecordStore {
  readonly #places = new Map<string, Map<string, StoredRecord & { gen?: string }>>();

  #place(place: Placement): Map<string, StoredRecord & { gen?: string }> {
    let records = this.#places.get(key(place));
    if (!records) {
      records = new Map();
      this.#places.set(key(place), records);
    }
    return records;
  }

  #visible(place: Placement, id: string): (StoredRecord & { gen?: string }) | undefined {
    const record = this.#place(place).get(id);
    return record && record.gen === place.gen ? record : undefined;
  }

  async insert(place: Placement, record: StoredRecord): Promise<'ok' | 'exists'> {
    const records = this.#place(place);
    if (records.has(record.id)) return 'exists';
    records.set(record.id, { ...structuredClone(record), ...(place.gen !== undefined ? { gen: place.gen } : {}) });
    return 'ok';
  }

  async find(place: Placement, id: string): Promise<StoredRecord | null> {
    const record = this.#visible(place, id);
    return record ? strip(record) : null;
  }

  async list(place: Placement, query: RecordQuery): Promise<StoredRecord[]> {
    const newestFirst = (a: StoredRecord, b: StoredRecord) =>
      b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
    return [...this.#place(place).values()]
      .filter((r) => r.gen === place.gen)
      .filter((r) => Object.entries(query.filter).every(([field, wanted]) => matches(r.data[field], wanted)))
      .filter((r) => !query.after || newestFirst(query.after as StoredRecord, r) < 0)
      .sort(newestFirst)
      .slice(0, query.limit)
      .map(strip);
  }

  async update(place: Placement, id: string, data: RecordData, at: Date, ifRev?: number): Promise<StoredRecord | null> {
    const record = this.#visible(place, id);
    if (!record || (ifRev !== undefined && record.rev !== ifRev)) return null;
    const next = { ...record, data: structuredClone(data), updatedAt: at, rev: record.rev + 1 };
    this.#place(place).set(id, next);
    return strip(next);
  }

  async remove(place: Placement, id: string): Promise<boolean> {
    if (!this.#visible(place, id)) return false;
    return this.#place(place).delete(id);
  }
}

function strip({ gen: _gen, ...record }: StoredRecord & { gen?: string }): StoredRecord {
  return structuredClone(record);
}
