import { objectId } from '../orgs/schemas.ts';
import * as z from '../zod.ts';
import { EVENT_TYPES, type EventType, type LifecycleEvent } from './model.ts';

/**
 * The public shape of an event: the audit log's items, the export's lines, the webhook and
 * EventBridge payloads. Internal fields (the state, the settling evidence) never appear.
 */

const LIMIT = 'must be an integer from 1 to 100';
const TYPES = `must be event types separated by commas (${EVENT_TYPES.slice(0, 3).join(', ')}, ...)`;

export const EventTypeSchema = z.enum(EVENT_TYPES).check(z.meta({ id: 'EventType' }));

export const AuditEvent = z
  .strictObject({
    id: z.string().check(z.describe('`evt_` and 24 hex digits; the same in every delivery of the event')),
    type: EventTypeSchema,
    organization_id: objectId,
    sequence: z.number().check(z.describe("The event's position in its organization's log (1, 2, 3, ...)")),
    occurred_at: z.iso.datetime(),
    actor: z.strictObject({
      type: z.enum(['user', 'system']),
      id: z.optional(objectId),
      ip: z.optional(z.string()),
      user_agent: z.optional(z.string()),
    }),
    target: z.strictObject({
      type: z.enum(['organization', 'user', 'invitation', 'webhook_endpoint']),
      id: z.string(),
    }),
    data: z.record(z.string(), z.unknown()).check(z.describe('What changed; its fields depend on the type')),
  })
  .check(z.meta({ id: 'Event' }));

/** A list of event types as the query gives it: `a,b,c`. */
const typeList = z.string().check(
  z.refine((value) => value.split(',').every((t) => (EVENT_TYPES as readonly string[]).includes(t)), TYPES),
  z.describe('Only these event types, separated by commas'),
);

const time = (what: string) => z.optional(z.iso.datetime({ offset: true }).check(z.describe(what)));

const filters = {
  type: z.optional(typeList),
  actor: z.optional(objectId.check(z.describe('Only events this user caused'))),
  since: time('Only events at or after this time (RFC 3339)'),
  until: time('Only events before this time (RFC 3339)'),
};

const cursor = z.optional(
  z
    .string()
    .check(z.regex(/^[1-9][0-9]{0,15}$/, 'is not a cursor this API issued'), z.describe("The previous page's next_cursor")),
);

export const AuditLogQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 50)
    .check(z.describe('Events per page, 1 to 100')),
  cursor,
  ...filters,
});

export const AuditLog = z.strictObject({
  events: z.array(AuditEvent).check(z.describe('Newest first')),
  next_cursor: z.nullable(z.string()).check(z.describe('Pass as `cursor` for the next page; null on the last page')),
});

/** The export's page size: one response stays well under Lambda's 6 MB answer limit. */
export const EXPORT_LIMIT = 5_000;

export const AuditExportQuery = z.strictObject({ cursor, ...filters });

/** The audit log's filters from a query. */
export function filterOf(query: { type?: string; actor?: string; since?: string; until?: string }) {
  return {
    ...(query.type ? { types: query.type.split(',') as EventType[] } : {}),
    ...(query.actor ? { actorId: query.actor } : {}),
    ...(query.since ? { since: new Date(query.since) } : {}),
    ...(query.until ? { until: new Date(query.until) } : {}),
  };
}

/** An event as the API, the export and the deliveries show it. */
export function toAuditEvent(event: LifecycleEvent): z.input<typeof AuditEvent> {
  const { actor } = event;
  return {
    id: event.id,
    type: event.type,
    organization_id: event.orgId,
    sequence: event.seq,
    occurred_at: event.time.toISOString(),
    actor: {
      type: actor.type,
      ...(actor.id ? { id: actor.id } : {}),
      ...(actor.ip ? { ip: actor.ip } : {}),
      ...(actor.userAgent ? { user_agent: actor.userAgent } : {}),
    },
    target: { type: event.target.type, id: event.target.id },
    data: { ...event.data },
  };
}

export function toAuditLog(page: { items: readonly LifecycleEvent[]; next?: number }): z.input<typeof AuditLog> {
  return { events: page.items.map(toAuditEvent), next_cursor: page.next === undefined ? null : String(page.next) };
}
