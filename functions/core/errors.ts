/**
 * Typed errors of the service, named for what went wrong, not for how it is answered. Services and
 * stores throw these; the HTTP chain maps each class to a status and RFC 9457 problem details in
 * one place (`statusOf` in `#core/http/problem.ts`). Anything else is an internal error and is
 * answered without details.
 */

/** One field-level complaint inside a validation problem. */
export interface FieldIssue {
  /** JSON Pointer (RFC 6901) of the offending field, `""` for the whole input. */
  readonly pointer: string;
  readonly message: string;
}

/** The base of every typed error: a stable `code` and a message fit for the caller. */
export abstract class AppError extends Error {
  /** Stable, machine-readable code clients can switch on. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The input breaks a rule of the route (its shape, a field, a name, a value the database cannot hold); `issues` point at the fields. */
export class ValidationError extends AppError {
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[] = [], code = 'validation_failed') {
    super(code, message);
    this.issues = issues;
  }
}

/** No valid credentials: a missing, bad, expired or revoked token, or a failed login. */
export class UnauthorizedError extends AppError {}

/** The caller is known but may not act on this resource (another organization). */
export class ForbiddenError extends AppError {}

/** The resource does not exist (or no longer exists) for this caller. */
export class NotFoundError extends AppError {}

/** The request conflicts with the current state: a name or email taken, another change running. */
export class ConflictError extends AppError {
  /** Set when the conflict passes by itself (another change in progress): the answer's Retry-After, in s. */
  readonly retryAfterSeconds?: number;

  constructor(code: string, message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(code, message, options);
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The request body is larger than the service accepts. */
export class PayloadTooLargeError extends AppError {}

/** The request body is not JSON. */
export class UnsupportedMediaTypeError extends AppError {}

/** Too many attempts; the client may try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(code, message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** The database (or another dependency) cannot be reached now; the client may retry. */
export class UnavailableError extends AppError {
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
