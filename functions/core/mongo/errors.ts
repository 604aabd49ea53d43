import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { UnavailableError } from '../errors.ts';

/** Server codes that mean "not now" rather than "wrong": elections, shutdowns, overload. */
const transientCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** True when a write failed on a unique index. */
export function isDuplicateKey(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  if (error.code === 11000 || error.code === 11001) return true;
  // FerretDB answers a unique violation on update with code 1 and the SQLite constraint message.
  return error.code === 1 && /UNIQUE constraint failed|duplicate key/i.test(error.message);
}

export function hasCode(error: unknown, code: number): boolean {
  return error instanceof MongoServerError && error.code === code;
}

function isTransient(error: unknown): boolean {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError
  ) {
    return true;
  }
  return error instanceof MongoServerError && typeof error.code === 'number' && transientCodes.has(error.code);
}

/** An outage becomes {@link UnavailableError} (503 with Retry-After); any other error is returned as is. */
export function mapOutage(error: unknown): unknown {
  return isTransient(error) ? new UnavailableError(undefined, { cause: error }) : error;
}

/**
 * Wraps every method of a store so that a database outage surfaces as {@link UnavailableError}
 * (503 with Retry-After) and no driver message travels further up.
 */
export function withUnavailableMapping<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw mapOutage(error);
        }
      };
    },
  });
}
