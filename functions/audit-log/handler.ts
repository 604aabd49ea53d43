import { admission, auditLog } from '#core/app.ts';
import type { EventLog } from '#core/events/log.ts';
import { filterOf, toAuditLog } from '#core/events/schemas.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** GET /org/audit-log: the caller's organization's events, newest first, a page at a time. */
export function createHandler(service: () => Promise<EventLog>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'audit-log',
    contract: schema,
    handle: async ({ query, caller }) =>
      toAuditLog(
        await (await service()).page(
          caller.orgId,
          filterOf(query),
          query.limit,
          query.cursor === undefined ? undefined : Number(query.cursor),
        ),
      ),
  });
}

export const handler = createHandler(auditLog(), admission());
