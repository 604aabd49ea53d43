import type { Organization, OrgStatus } from '#core/orgs/model.ts';
import { samePlace } from '#core/orgs/model.ts';
import type { OrganizationStore, OrgChanges, PlaceName } from '#core/orgs/stores.ts';
import { copy, isObjectId } from './copy.ts';

/**
 * An in-memory {@link OrganizationStore} with the semantics of `MongoOrganizationStore`: a unique
 * slug (and id), and `transition` as one conditional update: the status must be one of `from` and,
 * when `owner` is given, the operation's owner must be that fencing token (`null` matches a document
 * whose operation has no owner, or that has no operation, as MongoDB's `{'operation.owner': null}` does).
 */
export class FakeOrganizationStore implements OrganizationStore {
  readonly #docs = new Map<string, Organization>();

  async insert(org: Organization): Promise<'ok' | 'slug_taken'> {
    if (this.#docs.has(org.id) || [...this.#docs.values()].some((doc) => doc.slug === org.slug)) return 'slug_taken';
    this.#docs.set(org.id, copy(org));
    return 'ok';
  }

  async findById(id: string): Promise<Organization | null> {
    if (!isObjectId(id)) return null;
    const doc = this.#docs.get(id);
    return doc ? copy(doc) : null;
  }

  async findMany(ids: readonly string[]): Promise<Organization[]> {
    return ids.flatMap((id) => {
      const doc = this.#docs.get(id);
      return doc ? [copy(doc)] : [];
    });
  }

  async findBySlug(slug: string): Promise<Organization | null> {
    const doc = [...this.#docs.values()].find((d) => d.slug === slug);
    return doc ? copy(doc) : null;
  }

  async transition(
    id: string,
    from: readonly OrgStatus[],
    changes: OrgChanges,
    owner?: string | null,
  ): Promise<Organization | null> {
    const doc = this.#docs.get(id);
    if (!doc || !from.includes(doc.status)) return null;
    if (owner !== undefined) {
      const current = doc.operation && 'owner' in doc.operation ? (doc.operation.owner ?? null) : null;
      if (current !== owner) return null;
    }
    if (
      changes.slug !== undefined &&
      changes.slug !== doc.slug &&
      [...this.#docs.values()].some((d) => d.slug === changes.slug)
    ) {
      throw Object.assign(new Error('E11000 duplicate key error: slug'), { code: 11000 }); // the unique index refuses it
    }
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined && value !== null));
    const next: Record<string, unknown> = { ...doc, ...copy(defined) };
    for (const [key, value] of Object.entries(changes)) if (value === null) delete next[key];
    this.#docs.set(id, next as unknown as Organization);
    return copy(next as unknown as Organization);
  }

  async remove(id: string): Promise<void> {
    this.#docs.delete(id);
  }

  async clearOwed(id: string, owner: string): Promise<void> {
    const doc = this.#docs.get(id);
    if (doc?.owed?.owner !== owner) return;
    const { owed: _paid, ...rest } = doc;
    this.#docs.set(id, rest);
  }

  async listUnsettled(before: Date): Promise<Organization[]> {
    return [...this.#docs.values()]
      .filter(
        (doc) =>
          (doc.status !== 'active' && doc.operation !== undefined && doc.operation.startedAt < before) ||
          (doc.owed !== undefined && doc.owed.at < before),
      )
      .map(copy);
  }

  async listPurgeDue(now: Date, limit: number): Promise<Organization[]> {
    const docs = [...this.#docs.values()];
    const purging = docs.filter((doc) => doc.status === 'purging').slice(0, limit);
    const due = docs
      .filter(
        (doc) =>
          doc.status === 'archived' && doc.archive !== undefined && doc.archive.purgeAfter <= now && doc.legalHold !== true,
      )
      .sort((a, b) => (a.archive?.purgeAfter.getTime() ?? 0) - (b.archive?.purgeAfter.getTime() ?? 0))
      .slice(0, limit);
    return [...purging, ...due].map(copy);
  }

  async placesInUse(): Promise<PlaceName[]> {
    return [...this.#docs.values()].flatMap((doc) => {
      const op = doc.operation;
      return copy([doc.placement, ...(op && (op.kind === 'rename' || op.kind === 'move') ? [op.from, op.to] : [])]);
    });
  }

  async isPlaceInUse(place: PlaceName): Promise<boolean> {
    return (await this.placesInUse()).some((used) => samePlace(used, place));
  }

  /** Every organization document, for assertions. */
  all(): Organization[] {
    return [...this.#docs.values()].map(copy);
  }

  /** Writes a document as it is, bypassing every rule: a test's way to leave a run's state behind. */
  put(org: Organization): void {
    this.#docs.set(org.id, copy(org));
  }
}
