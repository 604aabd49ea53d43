/**
 * The ledger of records writes: for every record a writer created, what the last acknowledged (2xx)
 * write said was stored, and what the record may hold besides because a later write got no answer
 * (its process was killed, or the answer was an error that does not say whether it was applied). A
 * check reads the records back and counts a record lost when what it holds is none of these.
 */

/** A record that is gone. */
export const GONE = '<gone>';

/** Canonical JSON (keys sorted), so that equal data compare equal. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((key) => [key, sort((v as Record<string, unknown>)[key])]),
    );
  };
  return JSON.stringify(sort(value));
}

export interface Entry {
  readonly orgId: string;
  readonly id: string;
  /** The data the last acknowledged write returned (or {@link GONE} after an acknowledged delete). */
  acked: Record<string, unknown> | typeof GONE;
  /** Every state the record may be in: the acknowledged one and those of unanswered writes after it. */
  possible: Set<string>;
}

export class Ledger {
  readonly #entries = new Map<string, Entry>();
  /** Acknowledged writes, counted by the label of the run that made them. */
  readonly acknowledged = new Map<string, number>();
  #label = 'setup';

  /** The run the next writes count for. */
  set label(label: string) {
    this.#label = label;
  }

  #count(): void {
    this.acknowledged.set(this.#label, (this.acknowledged.get(this.#label) ?? 0) + 1);
  }

  /** An acknowledged create or change: the record holds `data` now. */
  stored(orgId: string, id: string, data: Record<string, unknown>): void {
    this.#count();
    const entry = this.#entries.get(id);
    if (entry) {
      entry.acked = data;
      entry.possible = new Set([canonical(data)]);
    } else {
      this.#entries.set(id, { orgId, id, acked: data, possible: new Set([canonical(data)]) });
    }
  }

  /** An acknowledged delete. */
  deleted(id: string): void {
    this.#count();
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.acked = GONE;
    entry.possible = new Set([GONE]);
  }

  /** A write with no answer that says whether it happened: the record may hold `state` too. */
  maybe(id: string, state: Record<string, unknown> | typeof GONE): void {
    this.#entries.get(id)?.possible.add(state === GONE ? GONE : canonical(state));
  }

  /** The data states (not {@link GONE}) the record may be in. */
  states(id: string): Record<string, unknown>[] {
    const entry = this.#entries.get(id);
    if (!entry) return [];
    return [...entry.possible].filter((s) => s !== GONE).map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  /** The entries of one organization. */
  of(orgId: string): Entry[] {
    return [...this.#entries.values()].filter((e) => e.orgId === orgId);
  }

  /** Forgets an organization's records (it was deleted: its records went with it). */
  forget(orgId: string): void {
    for (const [id, entry] of this.#entries) if (entry.orgId === orgId) this.#entries.delete(id);
  }

  /**
   * The records of `orgId` whose stored state (`found`: id to data, as read back) is none of the
   * states the ledger allows.
   */
  lost(orgId: string, found: ReadonlyMap<string, unknown>): { id: string; expected: string[]; found: string }[] {
    const lost: { id: string; expected: string[]; found: string }[] = [];
    for (const entry of this.of(orgId)) {
      const data = found.get(entry.id);
      const state = data === undefined ? GONE : canonical(data);
      if (!entry.possible.has(state)) lost.push({ id: entry.id, expected: [...entry.possible], found: state });
    }
    return lost;
  }
}
