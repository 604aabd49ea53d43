import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  AppError,
  ConflictError,
  type FieldIssue,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';

/** RFC 9457 problem details. `code` is stable; `type` points at its documentation. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors?: readonly FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string, errors?: readonly FieldIssue[]): Problem {
  return {
    type: `https://docs.orgs-service.dev/problems/${code.replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** The HTTP status of each typed error class (RFC 9110, section 15); the one such table. */
const STATUS_OF = new Map<abstract new (...args: never[]) => AppError, number>([
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [TooManyRequestsError, 429],
  [UnavailableError, 503],
]);

/** The status a typed error is answered with: its class's, or its nearest ancestor's; 500 if none. */
export function statusOf(error: AppError): number {
  for (let type = error.constructor; type && type !== AppError; type = Object.getPrototypeOf(type)) {
    const status = STATUS_OF.get(type as abstract new (...args: never[]) => AppError);
    if (status !== undefined) return status;
  }
  return 500;
}

/**
 * The one place that turns an error into an HTTP answer. Typed errors keep their message; anything
 * else becomes a bare 500 with no message, stack or driver text.
 */
export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
  let body: Problem;
  const status = error instanceof AppError ? statusOf(error) : 500;
  if (error instanceof AppError && status !== 500) {
    body = problem(status, error.code, error.message, error instanceof ValidationError ? error.issues : undefined);
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    if (status === 401) headers['www-authenticate'] = 'Bearer';
  } else {
    // Anything else, a typed error with no status in the table included, says nothing of itself.
    body = problem(500, 'internal_error', 'An unexpected error occurred.');
  }
  return { statusCode: body.status, headers, body: JSON.stringify(body) };
}
