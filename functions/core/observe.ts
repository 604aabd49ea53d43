import type { Context } from 'aws-lambda';
import { errorFields, log, startLogging } from './log.ts';
import { publishRequest } from './metrics.ts';
import { currentRequest, newRequestContext, type RequestContext, runInRequest } from './request-context.ts';

/**
 * The one place an invocation is observed from: the endpoint chain (`http/endpoint.ts`), the
 * authorizer and the reconciler run their work through {@link observe}, which opens the request
 * context, starts the log lines' Lambda fields, times the work and publishes its metrics at the end,
 * whatever the outcome.
 */

export interface InvocationStart {
  /** The function's folder under functions/: the `route` dimension and the `function` log key. */
  readonly route: string;
  /** API Gateway's request id, when there is one. */
  readonly correlationId?: string | undefined;
  /** The Lambda context, when there is one. */
  readonly lambda?: Context | undefined;
}

/**
 * Runs `work` as one observed invocation and returns what it returns (or throws what it throws).
 *
 * @example
 * export const handler = (event, context) =>
 *   observe({ route: 'reconciler', lambda: context }, () => reconcile());
 */
export function observe<T>(start: InvocationStart, work: (request: RequestContext) => Promise<T>): Promise<T> {
  const request = newRequestContext(start.route, start.correlationId);
  return runInRequest(request, async () => {
    startLogging(start.lambda);
    const started = performance.now();
    try {
      return await work(request);
    } finally {
      try {
        publishRequest(request, Math.round(performance.now() - started));
      } catch (error) {
        log.warn('metrics not published', errorFields(error));
      }
    }
  });
}

/** Who is calling, as the authorizer's context or a verified caller names it. */
export interface CallerIds {
  readonly orgId?: unknown;
  readonly userId?: unknown;
  /** The admin, where a caller has no `userId`: the admin is then the user. */
  readonly adminId?: unknown;
}

/**
 * Names the caller of the current invocation: its log lines from now on carry `orgId` and `userId`
 * (`userId`, else `adminId`), and its metrics record them as metadata. Fields that are not non-empty
 * strings are left out, so it takes the authorizer's context as it comes, before it is checked.
 */
export function identifyCaller(caller: CallerIds | undefined): void {
  const request = currentRequest();
  if (!request || !caller) return;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const orgId = text(caller.orgId);
  const userId = text(caller.userId) ?? text(caller.adminId);
  if (orgId) request.orgId = orgId;
  if (userId) request.userId = userId;
}
