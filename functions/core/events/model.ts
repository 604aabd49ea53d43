/**
 * Lifecycle events: one record per change to an organization, its members or its users' credentials,
 * kept in the master database (`events`) in order per organization, read by the audit log and
 * delivered by the dispatcher (EventBridge and webhooks).
 *
 * The guarantee, without multi-document transactions: an event is written `pending` before its
 * change (under an id tied to the operation), and becomes `committed` once the change has happened;
 * readers and the dispatcher see committed events only. A pending event whose run died is settled
 * by checking the state the change leaves behind (see `./settle.ts`): committed when the change
 * happened, removed when it did not. So an acknowledged change always has its committed event by the
 * time it is acknowledged, a change whose run died has its event within one reconciler period, and
 * no committed event describes a change that did not happen.
 */

/** Every event type, in the order the documentation lists them (dots, lower case: `<subject>.<what happened>`). */
export const EVENT_TYPES = [
  'organization.created',
  'organization.renamed',
  'organization.moved',
  'organization.deleted',
  'organization.archived',
  'organization.restored',
  'organization.purged',
  'member.invited',
  'member.joined',
  'member.role_changed',
  'member.removed',
  'ownership.transferred',
  'login.succeeded',
  'login.failed',
  'login.locked_out',
  'password.changed',
  'password.reset',
  'email.changed',
  'email.verified',
  'two_factor.enabled',
  'two_factor.disabled',
  'tokens.revoked',
  'plan.changed',
  'webhook.endpoint_disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Who caused an event: a `user` (id, and where the change came through an HTTP request, its source
 * address and User-Agent) or the service itself (`system`: the reconciler, the dispatcher).
 */
export interface EventActor {
  readonly type: 'user' | 'system';
  /** The user id (24 hex digits), for `user`. */
  readonly id?: string;
  /** The request's source IP address (API Gateway's `requestContext.http.sourceIp`). */
  readonly ip?: string;
  readonly userAgent?: string;
}

/** What an event is about: an `organization`, a `user` or a `webhook_endpoint`, by id. */
export interface EventTarget {
  readonly type: 'organization' | 'user' | 'invitation' | 'webhook_endpoint';
  readonly id: string;
}

/** What a caller says about a change; the log adds the sequence number, the time and the state. */
export interface EventDraft {
  /** Given when the id is tied to an operation (recorded on it before the change); else a new one. */
  readonly id?: string;
  readonly orgId: string;
  readonly type: EventType;
  /** Defaults to the current request's caller (`#core/request-context.ts`), else `system`. */
  readonly actor?: EventActor;
  readonly target: EventTarget;
  /** The event's details, JSON values only; never a password, hash, token or secret. */
  readonly data?: Readonly<Record<string, unknown>>;
}

export type EventState = 'pending' | 'committed';

/** A stored event. */
export interface LifecycleEvent {
  /** `evt_` and 24 hex digits. */
  readonly id: string;
  readonly orgId: string;
  /** The position of the event in its organization's log: 1, 2, 3, ... with no reuse. */
  readonly seq: number;
  readonly type: EventType;
  readonly actor: EventActor;
  readonly target: EventTarget;
  readonly data: Readonly<Record<string, unknown>>;
  /** When the change was made (for a pending event: when it was begun). */
  readonly time: Date;
  readonly state: EventState;
  /** When the audit log stops showing it (and, where the server has TTL indexes, removes it). */
  readonly expiresAt: Date;
}

/**
 * Which lock serializes the changes an event describes: `organization` (the operation lock),
 * `members` (the member lock), or none (`other`; settled by the reconciler once a lease old).
 */
export type EventFamily = 'organization' | 'members' | 'other';

export function familyOf(type: EventType): EventFamily {
  if (type.startsWith('organization.')) return 'organization';
  if (type === 'member.role_changed' || type === 'member.removed' || type === 'ownership.transferred') return 'members';
  return 'other';
}
