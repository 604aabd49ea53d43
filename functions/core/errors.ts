/**
 * Typed errors of the service. Services and stores throw these; the HTTP chain maps them to RFC 9457
 * problem details in one place (`#core/http/problem.ts`). Anything else is an internal error and is
 * answered without details.
 */

/** One field-level complaint inside a validation problem. */
export interface FieldIssue {
  /** JSON Pointer (RFC 6901) of the offending field, `""` for the whole input. */
  readonly pointer: string;
  readonly message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  /** Stable, machine-readable code clients can switch on. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[] = [], code = 'validation_failed') {
    super(code, message);
    this.issues = issues;
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
}

export class ForbiddenError extends AppError {
  readonly status = 403;
}

export class NotFoundError extends AppError {
  readonly status = 404;
}

export class ConflictError extends AppError {
  readonly status = 409;
  /** Set when the conflict passes by itself (another change in progress): the answer's Retry-After, in s. */
  readonly retryAfterSeconds?: number;

  constructor(code: string, message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(code, message, options);
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
}

/** Too many attempts; the client may try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  readonly status = 429;
  readonly retryAfterSeconds: number;

  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(code, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** The database (or another dependency) cannot be reached now; the client may retry. */
export class UnavailableError extends AppError {
  readonly status = 503;
  readonly retryAfterSeconds: number;

  constructor(
    message = 'The service is temporarily unavailable.',
    options?: ErrorOptions & { retryAfterSeconds?: number; code?: string },
  ) {
    super(options?.code ?? 'service_unavailable', message, options);
    this.retryAfterSeconds = options?.retryAfterSeconds ?? 5;
  }
}

/** Raised at cold start when the environment does not describe a usable configuration. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
