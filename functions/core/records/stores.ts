import type { Placement } from '../orgs/model.ts';
import type { Position, RecordData, StoredRecord } from './model.ts';

/**
 * The port the records use cases depend on. Every method acts on one place and sees only the records
 * of that place's generation; `#core/mongo/record-store.ts` implements it.
 */

export interface RecordQuery {
  /** Top-level field equality; a value also matches the number, boolean or null it spells. */
  readonly filter: Readonly<Record<string, string>>;
  readonly limit: number;
  /** Only records after this position (newest first). */
  readonly after?: Position;
}

/**
 * The place was renamed or dropped while a record operation ran in it, so the operation did nothing
 * (a server that reports this rather than writing into a new collection under the old name; see
 * `isPlaceGoneMidStatement` in `#core/mongo/compat.ts`). The records service treats it as data that
 * moved: it waits for the organization's new place and runs the operation there.
 */
export class PlaceGoneError extends Error {
  constructor(options?: ErrorOptions) {
    super('The place was renamed or dropped while the operation ran', options);
    this.name = 'PlaceGoneError';
  }
}

export interface RecordStore {
  /** Inserts a record; `exists` when one with its id is there already (a retried insert). */
  insert(place: Placement, record: StoredRecord): Promise<'ok' | 'exists'>;
  find(place: Placement, id: string): Promise<StoredRecord | null>;
  /** Newest first: by creation time, then id, both descending. */
  list(place: Placement, query: RecordQuery): Promise<StoredRecord[]>;
  /** Replaces the record's data (only at revision `ifRev`, when given); null when no record matched. */
  update(place: Placement, id: string, data: RecordData, at: Date, ifRev?: number): Promise<StoredRecord | null>;
  /** True when a record was removed. */
  remove(place: Placement, id: string): Promise<boolean>;
}
