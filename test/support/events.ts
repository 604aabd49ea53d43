import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '#core/http/endpoint.ts';
import { authorizerContextOf, type TestCaller } from './callers.ts';

/** API Gateway HTTP API (payload 2.0) events, as the service receives them in AWS. */

export interface EventOptions {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  /** The route's path parameters (API Gateway's `pathParameters`). */
  readonly params?: Record<string, string>;
  readonly body?: unknown;
  /** A raw body string, sent as is (for malformed JSON and the like). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly base64?: boolean;
  /** The authorizer's context for JWT routes. */
  readonly caller?: TestCaller;
}

export function httpEvent(options: EventOptions): HttpEvent {
  const query = options.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  let body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined && options.base64) body = Buffer.from(body).toString('base64');
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${options.method} ${options.path}`,
    rawPath: options.path,
    rawQueryString,
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(options.params ? { pathParameters: options.params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: options.method, path: options.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: `${options.method} ${options.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: options.base64 ?? false,
  };
  if (options.caller) {
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: authorizerContextOf(options.caller) };
  }
  return event;
}

export function authorizerEvent(authorization: string | undefined): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:api/$default/PUT/org/update',
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: 'PUT /org/update',
    rawPath: '/org/update',
    rawQueryString: '',
    cookies: [],
    headers: authorization === undefined ? {} : { authorization },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'PUT', path: '/org/update', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'req-authorizer',
      routeKey: 'PUT /org/update',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  } as APIGatewayRequestAuthorizerEventV2;
}

export const lambdaContext = { functionName: 'test', awsRequestId: 'test' } as unknown as Context;

type Handler = (event: HttpEvent, context: Context) => Promise<unknown>;

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | number | boolean>;
  readonly body: any;
  /** The body as sent. */
  readonly raw?: string;
}

/** Invokes a handler and parses its JSON answer (a body of another media type is left in `raw`). */
export async function invoke(handler: unknown, options: EventOptions): Promise<Answer> {
  const result = (await (handler as Handler)(httpEvent(options), lambdaContext)) as HttpResult;
  return {
    status: result.statusCode ?? 200,
    headers: result.headers ?? {},
    body:
      typeof result.body === 'string' && result.body.length > 0 && /json$/.test(String(result.headers?.['content-type']))
        ? JSON.parse(result.body)
        : undefined,
    ...(typeof result.body === 'string' ? { raw: result.body } : {}),
  };
}
