import { admission, auditLog } from '#core/app.ts';
import type { EventLog } from '#core/events/log.ts';
import { EXPORT_LIMIT, filterOf, toAuditEvent } from '#core/events/schemas.ts';
import { jwtEndpoint, withHeaders } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** GET /org/audit-log/export: a time range of the caller's organization's events as JSON lines (RFC 7464's line form). */
export function createHandler(service: () => Promise<EventLog>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'audit-log-export',
    contract: schema,
    handle: async ({ query, caller, event }) => {
      const page = await (await service()).page(
        caller.orgId,
        filterOf(query),
        EXPORT_LIMIT,
        query.cursor === undefined ? undefined : Number(query.cursor),
      );
      const lines = page.items.map((item) => `${JSON.stringify(toAuditEvent(item))}\n`).join('');
      if (page.next === undefined) return lines;
      const next = new URLSearchParams(event.rawQueryString ?? '');
      next.set('cursor', String(page.next));
      return withHeaders(lines, { link: `<${event.rawPath}?${next}>; rel="next"` });
    },
  });
}

export const handler = createHandler(auditLog(), admission());
