/**
 * One Powertools log line (`functions/core/log.ts`) as a terminal line for `npm start`
 * (see `readable-logs.ts`):
 *
 *   12:04:31.207 INFO  request function=records-get correlation_id=5b0c… orgId=66f… userId=66f… status=200 ms=14
 */

/** Keys the terminal does not need: the time and level lead the line, the rest is Lambda's. */
const DROPPED = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'xray_trace_id',
]);

/** One Powertools log line (JSON text, compact or indented) as a readable line; anything else as it came. */
export function readableLine(text: string): string {
  if (!text.startsWith('{')) return text;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  if (typeof entry.level !== 'string' || typeof entry.message !== 'string') return text;
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 23) : '';
  const fields = Object.entries(entry)
    .filter(([key, value]) => !DROPPED.has(key) && value !== undefined && !(key === 'cold_start' && value === false))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, entry.level.padEnd(5), entry.message, ...fields].filter((part) => part !== '').join(' ');
}
