import { AuditLog, AuditLogQuery } from '#core/events/schemas.ts';
import { contract } from '#core/http/contract.ts';

/** `?limit=&cursor=&type=&actor=&since=&until=` */
export const schema = contract({
  request: { query: AuditLogQuery },
  success: {
    status: 200,
    description: "A page of the organization's events, newest first, and the cursor of the next (older) page.",
    body: AuditLog,
  },
  errors: [400, 401, 403, 503],
  example: { query: { limit: 50, type: 'organization.created,member.role_changed' } },
});
