import { AuditExportQuery, EXPORT_LIMIT } from '#core/events/schemas.ts';
import { contract } from '#core/http/contract.ts';
import * as z from '#core/zod.ts';

/** `?since=&until=&type=&actor=&cursor=` */
export const schema = contract({
  request: { query: AuditExportQuery },
  success: {
    status: 200,
    description: `The organization's events in the range as JSON lines (one event a line, newest first, as the audit log shows them), at most ${EXPORT_LIMIT} a response; when there are more, the \`Link\` header names the next part (rel="next").`,
    body: z.string(),
    mediaType: 'application/jsonl',
  },
  errors: [400, 401, 403, 503],
  example: { query: { since: '2026-01-01T00:00:00Z' } },
});
