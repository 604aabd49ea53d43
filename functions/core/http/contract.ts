import type * as z from '../zod.ts';

/**
 * What an endpoint accepts and answers: its handler validates requests with these schemas, and the
 * OpenAPI document is generated from them, so the two cannot drift apart.
 */
export interface Contract {
  readonly request: {
    readonly body?: z.ZodMiniType;
    readonly query?: z.ZodMiniType;
    /** The route's `{name}` path segments (API Gateway's `pathParameters`). */
    readonly params?: z.ZodMiniType;
    /**
     * The media types the document lists for the body, each with the example; default
     * `application/json`. The parser takes any JSON type (`application/json`, `application/*+json`).
     */
    readonly bodyTypes?: readonly string[];
  };
  readonly success: {
    readonly status: number;
    readonly description: string;
    /** Absent for answers without a body (204). */
    readonly body?: z.ZodMiniType;
    /**
     * The body's media type when it is not `application/json` (JSON lines: `application/jsonl`); the
     * handler then returns the body as text, sent as it is.
     */
    readonly mediaType?: string;
  };
  /** The error statuses this endpoint can answer with (as problem+json). */
  readonly errors: readonly number[];
  /** What an error status means on this endpoint, where the document's general description would mislead. */
  readonly errorDescriptions?: Readonly<Partial<Record<number, string>>>;
  /** A request that succeeds against the documented example data. */
  readonly example: {
    readonly body?: unknown;
    /** Typed as the parameter's schema says (a number for an integer parameter). */
    readonly query?: Readonly<Record<string, string | number | boolean>>;
    readonly params?: Record<string, string>;
  };
}

/** Declares a contract, keeping its literal types for the handler. */
export function contract<const C extends Contract>(c: C): C {
  return c;
}
