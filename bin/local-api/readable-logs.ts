import { readableLine } from './log-format.ts';

/**
 * Readable logs for `npm start`. The functions log one JSON object per line through Powertools
 * (`functions/core/log.ts`), as CloudWatch wants them; in a terminal each becomes one line:
 *
 *   12:04:31.207 INFO  request function=records-get correlation_id=5b0c… orgId=66f… userId=66f… status=200 ms=14
 *
 * Imported first by bin/local-api.ts, before any function module: it sets POWERTOOLS_DEV (Powertools
 * then writes through `console`, which this wraps, and publishes no metrics) and rewrites the
 * console's JSON lines. `LOCAL_LOG_FORMAT=json` keeps Powertools' JSON as it is.
 */

process.env.POWERTOOLS_DEV ??= 'true';
if (process.env.LOCAL_LOG_FORMAT !== 'json') {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const write = console[method].bind(console);
    console[method] = (...args: unknown[]) =>
      args.length === 1 && typeof args[0] === 'string' ? write(readableLine(args[0])) : write(...args);
  }
}
