import { writeSync } from 'node:fs';
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
 *
 * Lines are written once per turn of the event loop, all of that turn's lines in one write: Node
 * writes the console to a file or a pipe synchronously, one system call per line, which under load
 * is a cost of the local server that API Gateway and CloudWatch do not have. Lines still pending
 * when the process exits are written then.
 */

process.env.POWERTOOLS_DEV ??= 'true';

const readable = process.env.LOCAL_LOG_FORMAT !== 'json';
const pending = new Map<NodeJS.WriteStream, string[]>();
let scheduled = false;

function flush(): void {
  scheduled = false;
  for (const [stream, lines] of pending) if (lines.length > 0) stream.write(lines.join(''));
  pending.clear();
}

function queue(stream: NodeJS.WriteStream, line: string): void {
  const lines = pending.get(stream);
  if (lines) lines.push(line);
  else pending.set(stream, [line]);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

process.on('exit', () => {
  for (const [stream, lines] of pending) if (lines.length > 0) writeSync(stream === process.stderr ? 2 : 1, lines.join(''));
  pending.clear();
});

for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const write = console[method].bind(console);
  const stream = method === 'warn' || method === 'error' ? process.stderr : process.stdout;
  console[method] = (...args: unknown[]) => {
    if (args.length === 1 && typeof args[0] === 'string') {
      queue(stream, `${readable ? readableLine(args[0]) : args[0]}\n`);
      return;
    }
    flush(); // keeps the order of lines written before this one
    write(...args);
  };
}
