import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { currentRequest } from './request-context.ts';

/**
 * Structured JSON logging through Powertools for AWS Lambda's Logger, one JSON object per line on
 * stdout (CloudWatch Logs picks it up). Every line carries the Powertools keys (`level`, `message`,
 * `timestamp`, `service`, `cold_start`, `function_name`, `function_request_id`, `xray_trace_id`,
 * `sampling_rate`) and, inside an invocation, the request's own: `correlation_id` (API Gateway's
 * request id), `function` (the route's function) and, once the caller is known, `orgId` and `userId`
 * (see `request-context.ts`).
 *
 * The level is `LOG_LEVEL` (`debug`, `info`, `warn`, `error` or `silent`), read once at cold start.
 * `POWERTOOLS_LOGGER_SAMPLE_RATE` (0 to 1, per stage) logs that share of invocations at `debug`.
 * `POWERTOOLS_DEV` (the local API, the tests) writes through the global `console` instead.
 *
 * Callers pass explicit fields; nothing here ever receives a request body, so a password, hash or
 * token cannot reach the logs by accident (the token lifecycle test checks every line it sees).
 */

export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * The service's one Logger. Use {@link log} (it adds the request's fields); this is exported for the
 * local API's formatting and for tests.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'orgs-service',
  // Given here because Powertools reads its variables in upper case only; ours is `info`, `silent`...
  logLevel: process.env.LOG_LEVEL?.toUpperCase() as LogLevel | undefined,
  logRecordOrder: ['level', 'message', 'timestamp', 'service', 'function', 'correlation_id', 'orgId', 'userId'],
});

/** Whether debug sampling is on: `POWERTOOLS_LOGGER_SAMPLE_RATE` above 0 (read once, as Powertools reads it). */
const SAMPLED = Number(process.env.POWERTOOLS_LOGGER_SAMPLE_RATE ?? 0) > 0;

type Level = 'debug' | 'info' | 'warn' | 'error';

const THRESHOLD: Record<Level, number> = {
  debug: LogLevelThreshold.DEBUG,
  info: LogLevelThreshold.INFO,
  warn: LogLevelThreshold.WARN,
  error: LogLevelThreshold.ERROR,
};

/**
 * Whether a line at `level` is written in the current invocation (debug sampling may lower the
 * level), so a caller can skip building the fields of a line that would be dropped.
 */
export function logs(level: Level): boolean {
  return THRESHOLD[level] >= logger.level;
}

function write(level: Level, message: string, fields?: LogFields): void {
  // Below the invocation's level: skip our field merge and Powertools' environment reads (the trace
  // id, the invocation store) for a line it would drop; nothing is buffered (log buffering is off).
  if (!logs(level)) return;
  const request = currentRequest();
  if (!request) {
    logger[level](message, { ...fields });
    return;
  }
  logger[level](message, {
    function: request.route,
    correlation_id: request.correlationId,
    orgId: request.orgId,
    userId: request.userId,
    ...fields,
  });
}

/**
 * At the start of each invocation: the Lambda context's fields (`cold_start`, `function_name`,
 * `function_request_id`, ...) on the lines that follow, and a new debug-sampling decision.
 */
export function startLogging(context?: Context): void {
  // Without a sample rate no invocation is sampled, and the refresh would only set the level it has.
  if (SAMPLED) logger.refreshSampleRateCalculation();
  if (context) logger.addContext(context);
}

/** Fields that describe an error without its stack or any payload. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      errorName: error.name,
      errorMessage: error.message,
      errorCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    };
  }
  return { errorName: typeof error };
}

/**
 * The service's log calls: a message and explicit fields, never a payload.
 *
 * @example
 * log.warn('lock not released; it lapses with its lease', { orgId, ...errorFields(error) });
 */
export const log = {
  debug: (message: string, fields?: LogFields) => write('debug', message, fields),
  info: (message: string, fields?: LogFields) => write('info', message, fields),
  warn: (message: string, fields?: LogFields) => write('warn', message, fields),
  error: (message: string, fields?: LogFields) => write('error', message, fields),
};
