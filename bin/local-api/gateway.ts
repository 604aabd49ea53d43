import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
  Context,
} from 'aws-lambda';
import { PromiseCache } from '#core/cache.ts';
import { AUTHORIZER_FUNCTION, type Route } from '../../lib/routes.ts';

/**
 * A local stand-in for API Gateway HTTP API: it turns HTTP requests into payload 2.0 events, runs
 * the Lambda authorizer for JWT routes, invokes the route's handler and maps the result back the way
 * API Gateway does.
 */

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;
export type HandlerLoader = (functionName: string) => Promise<LambdaHandler>;

/** Imports `functions/<name>/handler.ts` under `root` once per name, as a Lambda container would. */
export function handlerLoader(root: string): HandlerLoader {
  const loaded = new PromiseCache<string, LambdaHandler>();
  return (name) =>
    loaded.get(name, async () => (await import(join(root, 'functions', name, 'handler.ts'))).handler as LambdaHandler);
}

/** Answers up to this size are written with their head in one system call. */
const SINGLE_WRITE_BYTES = 64 * 1024;

/** API Gateway's payload limit for HTTP APIs. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/([\w.+-]+\+)?(json|xml)|application\/x-www-form-urlencoded)/i;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

function apiTime(date: Date): string {
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** The Lambda context a handler receives; the deadline is API Gateway's 29 s integration timeout. */
export function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The request's body, or 'too_large' past API Gateway's limit; without reading when the request says it has none. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      chunks.push(chunk);
      if (size <= MAX_REQUEST_BYTES) return;
      req.off('data', onData); // answered at once; the rest is drained unread
      req.resume();
      resolve('too_large');
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
  });
}

/**
 * The route a request matches and its path parameters: a `{name}` segment of a route's path matches
 * any one non-empty segment (URL-decoded), as in API Gateway HTTP API routes.
 */
export function matchRoute(
  routes: readonly Route[],
  method: string | undefined,
  pathname: string,
): { route: Route; pathParameters: Record<string, string> } | undefined {
  const segments = pathname.split('/');
  for (const { route, parts } of patternsOf(routes)) {
    if (route.method !== method) continue;
    if (parts.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matched = parts.every((part, i) => {
      const segment = segments[i] ?? '';
      if (part.param === undefined) return part.text === segment;
      if (segment === '') return false;
      try {
        pathParameters[part.param] = decodeURIComponent(segment);
        return true;
      } catch {
        return false;
      }
    });
    if (matched) return { route, pathParameters };
  }
  return undefined;
}

interface RoutePattern {
  readonly route: Route;
  /** Each segment of the route's path: its text, or the name of the parameter it is. */
  readonly parts: readonly { readonly text: string; readonly param?: string | undefined }[];
}

const patterns = new WeakMap<readonly Route[], readonly RoutePattern[]>();

/** The route table's paths split into segments, once per table. */
function patternsOf(routes: readonly Route[]): readonly RoutePattern[] {
  let known = patterns.get(routes);
  if (!known) {
    known = routes.map((route) => ({
      route,
      parts: route.path.split('/').map((text) => ({ text, param: /^\{(\w+)\}$/.exec(text)?.[1] })),
    }));
    patterns.set(routes, known);
  }
  return known;
}

/** The payload 2.0 event API Gateway would send for this request. */
export function toEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: Route,
  pathParameters: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const name in req.headers) {
    const value = req.headers[name];
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/).filter(Boolean));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const now = new Date();
  const requestId = randomUUID();
  const text = body.byteLength === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.byteLength > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.byteLength > 0 && !text,
  };
}

function toAuthorizerEvent(event: APIGatewayProxyEventV2, authorization: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
    identitySource: [authorization],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers as Record<string, string>,
    ...(event.queryStringParameters ? { queryStringParameters: event.queryStringParameters as Record<string, string> } : {}),
    requestContext: event.requestContext,
    pathParameters: event.pathParameters ?? {},
    stageVariables: {},
  } as APIGatewayRequestAuthorizerEventV2;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** The route's function answered, and wrote its own `request` line (method, path, status, ms). */
  loggedByRoute?: true;
}

const gatewayAnswer = (status: number, message: string): Answer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

/** Maps a handler's result as API Gateway does (a plain value becomes a 200 JSON body). */
export function fromResult(result: unknown): Answer {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!structured) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const r = result as APIGatewayProxyStructuredResultV2;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (r.cookies && r.cookies.length > 0) headers['set-cookie'] = r.cookies;
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  return { status: r.statusCode ?? 200, headers, body };
}

export interface LocalApiOptions {
  readonly routes: readonly Route[];
  readonly load: HandlerLoader;
  readonly log?: (line: string) => void;
  /** Answers requests outside the route table (the docs page); undefined passes. */
  readonly extra?: (method: string, path: string) => Promise<Answer | undefined>;
  /**
   * API Gateway's authorizer result cache: seconds a decision (allow or deny) is reused for the same
   * `Authorization` header without calling the authorizer, as the stack's `resultsCacheTtl` does
   * (0 in the dev stage, 25 in staging, 55 in prod; see `authorizerCacheTtl` in lib/stages.ts).
   * Default 0: every request calls the authorizer, as in the dev stage.
   */
  readonly authorizerCacheSeconds?: number;
}

type Decision = APIGatewaySimpleAuthorizerWithContextResult<Record<string, unknown>>;

/** Decisions by `Authorization` header until their expiry (epoch ms), as API Gateway caches them. */
class DecisionCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { decision: Decision; until: number }>();

  constructor(seconds: number) {
    this.#ttlMs = seconds * 1000;
  }

  get(key: string): Decision | undefined {
    if (this.#ttlMs <= 0) return undefined;
    const hit = this.#entries.get(key);
    if (hit && hit.until > Date.now()) return hit.decision;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, decision: Decision): void {
    if (this.#ttlMs <= 0) return;
    if (this.#entries.size >= 10_000) this.#entries.clear();
    this.#entries.set(key, { decision, until: Date.now() + this.#ttlMs });
  }
}

async function answer(options: LocalApiOptions, decisions: DecisionCache, req: IncomingMessage): Promise<Answer> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = matchRoute(options.routes, req.method, url.pathname);
  if (!match) return (await options.extra?.(req.method ?? 'GET', url.pathname)) ?? gatewayAnswer(404, 'Not Found');
  const { route } = match;
  const body = await readBody(req);
  if (body === 'too_large') return gatewayAnswer(413, 'Request Entity Too Large');
  const event = toEvent(req, url, body, route, match.pathParameters);

  if (route.auth === 'jwt') {
    const authorization = event.headers.authorization;
    if (!authorization) return gatewayAnswer(401, 'Unauthorized');
    let decision = decisions.get(authorization);
    if (!decision) {
      const authorizer = await options.load(AUTHORIZER_FUNCTION);
      try {
        decision = (await authorizer(
          toAuthorizerEvent(event, authorization),
          lambdaContext(AUTHORIZER_FUNCTION, event.requestContext.requestId),
        )) as Decision;
      } catch {
        return gatewayAnswer(500, 'Internal Server Error');
      }
      decisions.set(authorization, decision);
    }
    if (!decision?.isAuthorized) return gatewayAnswer(403, 'Forbidden');
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: decision.context ?? {} };
  }

  const handler = await options.load(route.function);
  try {
    const result = fromResult(await handler(event, lambdaContext(route.function, event.requestContext.requestId)));
    return { ...result, loggedByRoute: true };
  } catch {
    return gatewayAnswer(500, 'Internal Server Error');
  }
}

/** An HTTP server that serves `routes` as API Gateway would. */
export function createLocalApi(options: LocalApiOptions): Server {
  const log = options.log ?? ((line: string) => console.log(line));
  const decisions = new DecisionCache(options.authorizerCacheSeconds ?? 0);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    answer(options, decisions, req)
      .catch(() => gatewayAnswer(500, 'Internal Server Error'))
      .then((a) => {
        res.writeHead(a.status, { ...a.headers, 'content-length': String(a.body.byteLength) });
        // A string body goes out with the head in one write; a Buffer would be a second chunk (a
        // writev). Latin-1 maps each byte to one character and back, so the bytes sent are the body's.
        if (a.body.byteLength <= SINGLE_WRITE_BYTES) res.end(a.body.toString('latin1'), 'latin1');
        else res.end(a.body);
        // One line per request: the route's own, or this one when the gateway answered itself.
        if (!a.loggedByRoute)
          log(`${req.method} ${req.url?.split('?')[0]} ${a.status} ${Math.round(performance.now() - started)}ms`);
      });
  });
}
