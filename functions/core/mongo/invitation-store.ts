import { type Collection, type Db, type Filter, ObjectId } from 'mongodb';
import type { Invitation, InvitationStatus, StoredInvitationStatus } from '../invitations/model.ts';
import type { InvitationOutcome, InvitationPage, InvitationStore } from '../invitations/stores.ts';
import { MASTER_COLLECTIONS } from './collections.ts';
import { withUnavailableMapping } from './errors.ts';
import { insertUnique } from './insert-unique.ts';
import { oid } from './object-ids.ts';

/**
 * The MongoDB adapter for invitations (`invitations`) and their outcomes (`invitation_outcomes`).
 *
 * - `openKey` is `<orgId>:<email>` while the invitation is open (pending, expired or not) and
 *   `<orgId>:<email>:<id>` once it is closed; its unique index allows one open invitation per email
 *   and organization on every server (no partial index needed).
 * - `tokenHash` (SHA-256 of the secret) has a unique index: a look-up by secret is one indexed read.
 * - The list pages on `{ orgId, _id }` (an index), newest first, with the last `_id` as the cursor: a
 *   page costs the same at the 10,000th invitation as at the first.
 * - An outcome is an insert under the invitation's id, as a refresh token is spent (`markUsed`).
 */

export interface InvitationDoc {
  _id: ObjectId;
  orgId: ObjectId;
  email: string;
  role: string;
  invitedBy: ObjectId;
  tokenHash: string;
  status: StoredInvitationStatus;
  openKey: string;
  createdAt: Date;
  expiresAt: Date;
  closedAt?: Date;
  acceptedBy?: ObjectId;
}

export interface OutcomeDoc {
  _id: string;
  outcome: InvitationOutcome;
  at: Date;
}

const openKeyOf = (orgId: string, email: string) => `${orgId}:${email}`;
const CURSOR = /^[0-9a-f]{24}$/;

function toInvitation(doc: InvitationDoc): Invitation {
  return {
    id: doc._id.toHexString(),
    orgId: doc.orgId.toHexString(),
    email: doc.email,
    role: doc.role,
    invitedBy: doc.invitedBy.toHexString(),
    tokenHash: doc.tokenHash,
    status: doc.status,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
    ...(doc.closedAt ? { closedAt: doc.closedAt } : {}),
    ...(doc.acceptedBy ? { acceptedBy: doc.acceptedBy.toHexString() } : {}),
  };
}

export class MongoInvitationStore implements InvitationStore {
  readonly #col: Collection<InvitationDoc>;
  readonly #outcomes: Collection<OutcomeDoc>;

  constructor(col: Collection<InvitationDoc>, outcomes: Collection<OutcomeDoc>) {
    this.#col = col;
    this.#outcomes = outcomes;
  }

  async insert(invitation: Invitation): Promise<'ok' | 'open_exists'> {
    const doc: InvitationDoc = {
      _id: new ObjectId(invitation.id),
      orgId: new ObjectId(invitation.orgId),
      email: invitation.email,
      role: invitation.role,
      invitedBy: new ObjectId(invitation.invitedBy),
      tokenHash: invitation.tokenHash,
      status: invitation.status,
      openKey: openKeyOf(invitation.orgId, invitation.email),
      createdAt: invitation.createdAt,
      expiresAt: invitation.expiresAt,
    };
    return (await insertUnique(this.#col, doc)) ? 'ok' : 'open_exists';
  }

  async findOpen(orgId: string, email: string): Promise<Invitation | null> {
    const doc = await this.#col.findOne({ openKey: openKeyOf(orgId, email) });
    return doc ? toInvitation(doc) : null;
  }

  async findById(orgId: string, id: string): Promise<Invitation | null> {
    const _id = oid(id);
    const org = oid(orgId);
    const doc = _id && org && (await this.#col.findOne({ _id, orgId: org }));
    return doc ? toInvitation(doc) : null;
  }

  async findByTokenHash(tokenHash: string): Promise<Invitation | null> {
    const doc = await this.#col.findOne({ tokenHash });
    return doc ? toInvitation(doc) : null;
  }

  async page(
    orgId: string,
    limit: number,
    options: { after?: string; status?: InvitationStatus; now: Date },
  ): Promise<InvitationPage> {
    const org = oid(orgId);
    if (!org) return { items: [] };
    const filter: Filter<InvitationDoc> = { orgId: org, ...statusFilter(options.status, options.now) };
    if (options.after && CURSOR.test(options.after)) filter._id = { $lt: new ObjectId(options.after) };
    const docs = await this.#col
      .find(filter)
      .sort({ _id: -1 })
      .limit(limit + 1)
      .toArray();
    const items = docs.slice(0, limit).map(toInvitation);
    const last = docs.length > limit ? docs[limit - 1] : undefined;
    return last ? { items, next: last._id.toHexString() } : { items };
  }

  async claim(id: string, outcome: InvitationOutcome, at: Date): Promise<boolean> {
    return insertUnique(this.#outcomes, { _id: id, outcome, at });
  }

  async outcomeOf(id: string): Promise<InvitationOutcome | null> {
    return (await this.#outcomes.findOne({ _id: id }))?.outcome ?? null;
  }

  async unclaim(id: string, outcome: InvitationOutcome): Promise<void> {
    await this.#outcomes.deleteOne({ _id: id, outcome });
  }

  async close(invitation: Invitation, outcome: InvitationOutcome | 'expired', at: Date, acceptedBy?: string): Promise<void> {
    const _id = new ObjectId(invitation.id);
    await this.#col.updateOne(
      { _id },
      {
        $set: {
          // An expired invitation stays `pending` (its expiry says it is expired); it only frees its key.
          ...(outcome === 'expired' ? {} : { status: outcome, closedAt: at }),
          openKey: `${openKeyOf(invitation.orgId, invitation.email)}:${invitation.id}`,
          ...(acceptedBy ? { acceptedBy: new ObjectId(acceptedBy) } : {}),
        },
      },
    );
  }

  async removeByOrg(orgId: string): Promise<void> {
    const org = oid(orgId);
    if (!org) return;
    const ids = (await this.#col.find({ orgId: org }, { projection: { _id: 1 } }).toArray()).map((d) => d._id.toHexString());
    await this.#col.deleteMany({ orgId: org });
    if (ids.length > 0) await this.#outcomes.deleteMany({ _id: { $in: ids } });
  }
}

/** The query that keeps invitations in `status` at `now` (none: every invitation). */
function statusFilter(status: InvitationStatus | undefined, now: Date): Filter<InvitationDoc> {
  switch (status) {
    case undefined:
      return {};
    case 'pending':
      return { status: 'pending', expiresAt: { $gt: now } };
    case 'expired':
      return { status: 'pending', expiresAt: { $lte: now } };
    default:
      return { status };
  }
}

/** The invitation store on `db`'s collections, with outages mapped to 503. */
export function mongoInvitationStore(db: Db): InvitationStore {
  return withUnavailableMapping(
    new MongoInvitationStore(
      db.collection<InvitationDoc>(MASTER_COLLECTIONS.invitations),
      db.collection<OutcomeDoc>(MASTER_COLLECTIONS.invitationOutcomes),
    ),
  );
}
