import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError, type FieldIssue, ValidationError } from '../errors.ts';

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

/**
 * The one place that turns an error into an HTTP answer. Typed errors keep their message; anything
 * else becomes a bare 500 with no message, stack or driver text.
 */
export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
  let body: Problem;
  if (error instanceof AppError) {
    body = problem(error.status, error.code, error.message, error instanceof ValidationError ? error.issues : undefined);
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    if (error.status === 401) headers['www-authenticate'] = 'Bearer';
  } else {
    body = problem(500, 'internal_error', 'An unexpected error occurred.');
  }
  return { statusCode: body.status, headers, body: JSON.stringify(body) };
}
