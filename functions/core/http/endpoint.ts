import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { actsOnOrganization, permissionOf } from '../../../lib/routes.ts';
import type { Caller } from '../auth/tokens.ts';
import {
  type FieldIssue,
  ForbiddenError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';
import type { Admission } from '../limits/admission.ts';
import { errorFields, log, logs } from '../log.ts';
import type { Permission } from '../members/permissions.ts';
import { metrics } from '../metrics.ts';
import { identifyCaller, observe } from '../observe.ts';
import type * as z from '../zod.ts';
import type { Contract } from './contract.ts';
import { decodeUtf8, MAX_REPORTED_ISSUES, parseJson } from './json.ts';
import { toPointer } from './pointer.ts';
import { problemResponse } from './problem.ts';
import { parseQuery } from './query.ts';

/**
 * The HTTP chain every endpoint shares: body and query parsing with zod, the caller from the
 * authorizer, one mapping of errors to problem+json, and one log line per request. An endpoint file
 * declares its schemas and calls one service. Each request runs in an observed invocation
 * (`observe.ts`): its log lines carry the request id, and the organization and user once the caller
 * is read; its metrics (latency, 4xx, 5xx, database time) are published when it ends.
 */

/** API Gateway's body limit is larger; ours is a product limit. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What the authorizer puts in `requestContext.authorizer.lambda`. */
export type AuthorizerContext = {
  userId?: string;
  orgId?: string;
  role?: string;
  /** Space-separated. */
  permissions?: string;
  membership?: string;
  sessionId?: string;
  tokenId?: string;
  expiresAt?: number;
  twoFactor?: string;
  mfa?: string;
  organization?: string;
};
export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface Input<B, Q, C, P = undefined> {
  readonly body: B;
  readonly query: Q;
  /** The route's `{name}` path segments (API Gateway's `pathParameters`). */
  readonly params: P;
  readonly caller: C;
  readonly event: HttpEvent;
}

type BodyOf<T extends Contract> = T['request'] extends { body: infer S extends z.ZodMiniType } ? z.output<S> : undefined;
type QueryOf<T extends Contract> = T['request'] extends { query: infer S extends z.ZodMiniType } ? z.output<S> : undefined;
type ParamsOf<T extends Contract> = T['request'] extends { params: infer S extends z.ZodMiniType } ? z.output<S> : undefined;
// biome-ignore lint/suspicious/noConfusingVoidType: a bodiless answer's handler returns nothing at all
type AnswerOf<T extends Contract> = T['success'] extends { body: infer S extends z.ZodMiniType } ? z.input<S> : void;

/** A success body with extra response headers (for example `Location` on a 201). */
export class WithHeaders<B> {
  readonly body: B;
  readonly headers: Readonly<Record<string, string>>;

  constructor(body: B, headers: Readonly<Record<string, string>>) {
    this.body = body;
    this.headers = headers;
  }
}

export const withHeaders = <B>(body: B, headers: Readonly<Record<string, string>>) => new WithHeaders(body, headers);

interface Spec<T extends Contract, C> {
  /** The route's function name, for logs. */
  readonly name: string;
  readonly contract: T;
  /** Returns the success body; the status is the contract's. */
  readonly handle: (input: Input<BodyOf<T>, QueryOf<T>, C, ParamsOf<T>>) => Promise<AnswerOf<T> | WithHeaders<AnswerOf<T>>>;
  /**
   * The organization's rate limit and usage count (`jwt` routes; see `#core/limits/admission.ts`):
   * applied to every request before anything is parsed. Handlers pass the real one (`admission()` of
   * `#core/app.ts`); tests of a handler's own rules may leave it out.
   */
  readonly admission?: (() => Promise<Admission>) | undefined;
}

type ParsedEvent = HttpEvent & { parsed?: Input<unknown, unknown, unknown, unknown> };

/** Zod's issues as field issues; an unknown field becomes one issue per field, pointing at it. */
function issues(error: z.core.$ZodError, where: string): FieldIssue[] {
  const unknown = where === 'query' ? 'is not a parameter of this route' : 'is not a field this route takes';
  const out = error.issues.flatMap((issue): FieldIssue[] =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: toPointer([...issue.path, key] as (string | number)[]), message: unknown }))
      : [{ pointer: toPointer(issue.path as (string | number)[]), message: issue.message }],
  );
  return out.slice(0, MAX_REPORTED_ISSUES);
}

function validate<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`The request ${where} is invalid.`, issues(result.error, where));
  return result.data;
}

/** The body as I-JSON (see `json.ts`): size, media type, UTF-8, syntax, then exactness. */
function readBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new ValidationError('A JSON body is required.', [], 'body_required');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  const type = event.headers?.['content-type'];
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    throw new UnsupportedMediaTypeError('unsupported_media_type', 'Send the body as application/json.');
  }
  return parseJson(decodeUtf8(raw));
}

function readCaller(event: HttpEvent): Caller {
  const context = (event.requestContext as { authorizer?: { lambda?: AuthorizerContext } }).authorizer?.lambda;
  identifyCaller(context); // the log lines and metrics of this request name the caller from here on
  if (typeof context?.userId !== 'string' || typeof context.orgId !== 'string' || typeof context.role !== 'string') {
    throw new UnauthorizedError('unauthenticated', 'A valid access token is required.');
  }
  return {
    userId: context.userId,
    orgId: context.orgId,
    role: context.role,
    permissions: (context.permissions ?? '').split(' ').filter(Boolean),
    ...(context.membership === 'unverified' ? { membership: 'unverified' as const } : {}),
    ...(context.sessionId ? { sessionId: context.sessionId } : {}),
    ...(context.tokenId ? { tokenId: context.tokenId } : {}),
    ...(typeof context.expiresAt === 'number' ? { expiresAt: context.expiresAt } : {}),
    ...(context.twoFactor === 'missing' ? { twoFactor: 'missing' as const } : {}),
    ...(context.mfa === 'true' ? { mfa: true as const } : {}),
    ...(context.organization === 'archived' ? { organization: 'archived' as const } : {}),
  };
}

/**
 * The one place a route's permission (its row's `permission` in the route table) is enforced:
 * 403 `permission_denied` when the caller's role lacks it, 503 when the authorizer could not learn
 * the role (a database outage; see `TokenGuard`). A route with a permission acts on the
 * organization, so it also answers 403 `two_factor_required` to a session that lacks the second
 * factor the organization requires; routes without one (the caller's own account) stay open. A
 * route that acts on the organization (`onOrganization`: one with a permission, or under `/org/`)
 * answers 403 `organization_archived` to a caller whose organization is archived.
 */
function authorize(caller: Caller, permission: Permission | undefined, onOrganization: boolean): Caller {
  if (onOrganization && caller.organization === 'archived') {
    throw new ForbiddenError(
      'organization_archived',
      'This organization is deleted (archived). Its owner can restore it with POST /me/organizations/restore until it is purged.',
    );
  }
  if (permission !== undefined && caller.twoFactor === 'missing') {
    throw new ForbiddenError(
      'two_factor_required',
      'This organization requires two-factor authentication: enrol with POST /me/two-factor, confirm with POST /me/two-factor/confirm, then log in again.',
    );
  }
  if (permission === undefined || caller.permissions.includes(permission)) return caller;
  if (caller.membership === 'unverified') {
    throw new UnavailableError('The service cannot check your role right now.', { retryAfterSeconds: 5 });
  }
  throw new ForbiddenError('permission_denied', `Your role (${caller.role}) does not allow this: it needs ${permission}.`);
}

/** Validates the request before the handler runs and leaves the result on `event.parsed`. */
function parseRequest(
  contract: Contract,
  auth: 'public' | 'jwt',
  permission?: Permission,
  onOrganization = permission !== undefined,
): MiddlewareObj<ParsedEvent, HttpResult> {
  const { body, query, params } = contract.request;
  return {
    name: 'parseRequest',
    before: (request) => {
      const event = request.event;
      event.parsed = {
        caller: auth === 'jwt' ? authorize(readCaller(event), permission, onOrganization) : undefined,
        params: params ? validate(params, event.pathParameters ?? {}, 'path') : undefined,
        query: query ? validate(query, parseQuery(event.rawQueryString ?? ''), 'query') : undefined,
        body: body ? validate(body, readBody(event), 'body') : undefined,
        event,
      };
    },
  };
}

/**
 * Counts the request against its organization's rate and usage before anything of the route runs
 * (no parsing, no database work of the route): over the rate, 429 `rate_limited` with Retry-After.
 * A request with no organization in the authorizer's context is left to `parseRequest` (401).
 */
function admit(name: string, admission: () => Promise<Admission>): MiddlewareObj<ParsedEvent, HttpResult> {
  return {
    name: 'admit',
    before: async (request) => {
      const context = (request.event.requestContext as { authorizer?: { lambda?: AuthorizerContext } }).authorizer?.lambda;
      if (typeof context?.orgId !== 'string' || typeof context.userId !== 'string') return;
      identifyCaller(context);
      await (await admission()).admit({ orgId: context.orgId, userId: context.userId }, name);
    },
  };
}

/** Maps errors to problem+json, writes one access log line (never the body) and counts the status. */
function respond(name: string): MiddlewareObj<HttpEvent, HttpResult> {
  const started = new WeakMap<object, number>();
  // The access line, built only when `info` lines are written (the fields cost a spread and a clock read).
  const line = (event: HttpEvent, status: number | undefined, extra?: Record<string, string | number | undefined>) => {
    if (!logs('info')) return;
    log.info('request', {
      function: name,
      method: event.requestContext?.http?.method,
      path: event.rawPath,
      status,
      ms: Math.round(performance.now() - (started.get(event) ?? performance.now())),
      ...extra,
    });
  };
  return {
    name: 'respond',
    before: (request) => {
      started.set(request.event, performance.now());
    },
    after: (request) => {
      metrics.status(request.response?.statusCode ?? 200);
      line(request.event, request.response?.statusCode);
    },
    onError: (request) => {
      const response = problemResponse(request.error);
      if (response.statusCode === 500) log.error('unhandled error', { function: name, ...errorFields(request.error) });
      request.response = response;
      metrics.status(response.statusCode ?? 500);
      line(request.event, response.statusCode, { code: (request.error as { code?: string } | null)?.code });
    },
  };
}

/** `chain` as one observed invocation of the function `name`. */
function observed(name: string, chain: (event: ParsedEvent, context: Context) => Promise<HttpResult>) {
  return (event: HttpEvent, context: Context): Promise<HttpResult> =>
    observe({ route: name, correlationId: event.requestContext?.requestId, lambda: context }, (request) => {
      // Who made a change, as the event log records it (`#core/events/log.ts`).
      const sourceIp = event.requestContext?.http?.sourceIp;
      const userAgent = event.requestContext?.http?.userAgent ?? event.headers?.['user-agent'];
      if (sourceIp) request.sourceIp = sourceIp;
      if (userAgent) request.userAgent = userAgent.slice(0, 512);
      return chain(event, context);
    });
}

function build<T extends Contract, C>(spec: Spec<T, C>, auth: 'public' | 'jwt') {
  const { status, mediaType } = spec.contract.success;
  const chain = middy<ParsedEvent, HttpResult, Error, Context>().use(
    respond(spec.name) as MiddlewareObj<ParsedEvent, HttpResult>,
  );
  if (auth === 'jwt' && spec.admission) chain.use(admit(spec.name, spec.admission));
  chain
    .use(parseRequest(spec.contract, auth, permissionOf(spec.name), actsOnOrganization(spec.name)))
    .handler(async (event): Promise<HttpResult> => {
      if (!event.parsed) throw new Error('request was not parsed');
      const answer: unknown = await spec.handle(event.parsed as Input<BodyOf<T>, QueryOf<T>, C, ParamsOf<T>>);
      const body = answer instanceof WithHeaders ? answer.body : answer;
      const extra = answer instanceof WithHeaders ? answer.headers : {};
      if (body === undefined) return { statusCode: status, headers: { 'cache-control': 'no-store', ...extra } };
      return {
        statusCode: status,
        headers: { 'content-type': mediaType ?? 'application/json', 'cache-control': 'no-store', ...extra },
        body: mediaType ? String(body) : JSON.stringify(body),
      };
    });
  return observed(spec.name, chain);
}

/** An endpoint anyone may call. */
export function publicEndpoint<T extends Contract>(spec: Spec<T, undefined>) {
  return build(spec, 'public');
}

/** An endpoint behind the JWT authorizer; `caller` comes from the authorizer's context. */
export function jwtEndpoint<T extends Contract>(spec: Spec<T, Caller>) {
  return build(spec, 'jwt');
}

/**
 * An endpoint that answers every request with the same JSON document (200), serialized once at cold
 * start, with the shared access log and error mapping. It parses no input, so it loads no schema
 * library: the route's contract (`schema.ts`) documents it for the OpenAPI generator only.
 *
 * @example
 * export const handler = documentEndpoint('openapi', document);
 */
export function documentEndpoint(name: string, document: unknown) {
  const body = JSON.stringify(document);
  const chain = middy<HttpEvent, HttpResult, Error, Context>()
    .use(respond(name))
    .handler(async () => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body,
    }));
  return observed(name, chain);
}
