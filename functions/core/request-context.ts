import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the service knows about the invocation it is serving: who is calling, which request it is,
 * and what it has measured so far. The logger puts the identifying fields on every line and the
 * metrics module publishes the measurements when the invocation ends. One context per invocation,
 * carried through `await`s by AsyncLocalStorage, so requests served side by side in one process (the
 * local API, the tests) never mix; in Lambda a container serves one invocation at a time.
 */

/** One measurement, in CloudWatch's units (see `metrics.ts` for the names). */
export interface Measurement {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

export interface RequestContext {
  /** The function serving the invocation (its folder under functions/): the `route` dimension. */
  readonly route: string;
  /**
   * API Gateway's request id (`requestContext.requestId`): the same in the authorizer's lines, the
   * route's lines and the API's access log.
   */
  readonly correlationId?: string;
  /** The caller's organization, once the authorizer's context has been read. */
  orgId?: string;
  /** The calling user, once known. */
  userId?: string;
  /** The HTTP request's source address (API Gateway's `requestContext.http.sourceIp`), for the event log. */
  sourceIp?: string;
  /** The HTTP request's User-Agent, for the event log. */
  userAgent?: string;
  /** Sum of the durations of the database calls this invocation made (`callDatabase`), in milliseconds. */
  databaseMs: number;
  /** How many database calls (store calls) this invocation made. */
  databaseCalls: number;
  /** Measurements to publish when the invocation ends, in the order they were taken. */
  readonly measurements: Measurement[];
}

const storage = new AsyncLocalStorage<RequestContext>();

/** A fresh context for `route`, with nothing measured yet. */
export function newRequestContext(route: string, correlationId?: string): RequestContext {
  return { route, ...(correlationId ? { correlationId } : {}), databaseMs: 0, databaseCalls: 0, measurements: [] };
}

/** Runs `fn` with `context` as the current request context (of `fn` and everything it awaits). */
export function runInRequest<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the invocation being served here, if any (none in scripts and at cold start). */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
