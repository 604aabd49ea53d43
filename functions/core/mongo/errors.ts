import { AsyncLocalStorage } from 'node:async_hooks';
import {
  MongoClientClosedError,
  MongoError,
  MongoErrorLabel,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { AppError, UnavailableError } from '../errors.ts';
import { recordDatabaseCall } from '../metrics.ts';
import { DatabaseUnreachableError, databaseWatch } from './health.ts';

/**
 * How store calls meet the database: which failures are an outage (answered 503 with Retry-After,
 * never a 500 or a driver message), and the wrappers every store call goes through.
 */

/** Server codes that mean "not now" rather than "wrong": elections, shutdowns, overload. */
const transientCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * Driver errors that are not exported as classes (`mongodb/src/cmap/errors.ts`): the pool was
 * cleared (after a network error or a failed heartbeat) or closed, or no connection came free.
 */
const outageErrorNames = new Set([
  'MongoPoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
]);

/**
 * Node.js socket and DNS failures. The driver does not always wrap them: a write to a socket the
 * server has closed can surface as a bare `EPIPE` error.
 */
const networkCodes = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'ENOTCONN',
  'ESHUTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CLOSED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Driver error labels that mean the operation may succeed if tried again later. */
const transientLabels = [MongoErrorLabel.RetryableWriteError, MongoErrorLabel.SystemOverloadedError];

export function hasCode(error: unknown, code: number): boolean {
  return error instanceof MongoServerError && error.code === code;
}

/**
 * True when `error` means the database could not be reached or cannot serve now: a network
 * failure of any kind (by class, by driver error name or by Node.js error code, here or in its
 * `cause`), no selectable server, a closed client or pool, or a transient server answer. A server
 * that answered "no" (a duplicate key, a bad query) is not an outage.
 */
export function isOutage(error: unknown, depth = 0): boolean {
  if (depth > 8 || typeof error !== 'object' || error === null) return false;
  if (error instanceof AppError) return false; // ours, already typed
  if (
    error instanceof DatabaseUnreachableError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoOperationTimeoutError
  ) {
    return true;
  }
  const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (typeof name === 'string' && outageErrorNames.has(name)) return true;
  if (typeof code === 'string' && networkCodes.has(code)) return true;
  if (error instanceof MongoServerError && typeof code === 'number' && transientCodes.has(code)) return true;
  if (error instanceof MongoError && transientLabels.some((label) => error.hasErrorLabel(label))) return true;
  if (error instanceof AggregateError && error.errors.some((inner) => isOutage(inner, depth + 1))) return true;
  return isOutage(cause, depth + 1);
}

/** An outage becomes {@link UnavailableError} (503 with Retry-After); any other error is returned as is. */
export function mapOutage(error: unknown): unknown {
  return isOutage(error) ? new UnavailableError(undefined, { cause: error }) : error;
}

/**
 * Runs one call to the database under the container's outage rules (see health.ts): it is given
 * up once the database has been silent for the configured bound, fails at once right after an
 * outage, and an outage surfaces as {@link UnavailableError}. Its duration in ms, from the call to
 * its answer or failure (the driver's work included: choosing a server, waiting for a pooled
 * connection, opening one), and the call itself go to the current invocation's `DatabaseTime` and
 * `DatabaseCalls` (`metrics.ts`); a call made inside another counts as part of it, and a call
 * refused without trying (an outage moments ago) does not count.
 *
 * @example
 * await callDatabase(() => collection.createIndex({ slug: 1 }, { unique: true }));
 */
export async function callDatabase<T>(call: () => Promise<T>): Promise<T> {
  // A call made inside another (a job's lease check inside a copy step) is part of the outer one's time.
  if (insideCall.getStore()) return runWatched(call);
  const started = performance.now();
  let sent = true;
  try {
    return await insideCall.run(true, () => runWatched(call));
  } catch (error) {
    // Refused without trying (an outage moments ago): nothing went to the database.
    if (error instanceof UnavailableError && error.cause instanceof DatabaseUnreachableError) {
      sent = error.cause.reason !== 'held';
    }
    throw error;
  } finally {
    if (sent) recordDatabaseCall(performance.now() - started);
  }
}

/** Whether the current async context is inside a {@link callDatabase}. */
const insideCall = new AsyncLocalStorage<true>();

async function runWatched<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await databaseWatch.run(call, isOutage);
  } catch (error) {
    throw mapOutage(error);
  }
}

/**
 * Wraps every method of a store so that each call goes through {@link callDatabase}: a database
 * outage surfaces as {@link UnavailableError} (503 with Retry-After) within the bound, and no
 * driver message travels further up.
 */
export function withUnavailableMapping<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => callDatabase(() => value.apply(target, args));
    },
  });
}
