import type { Contract } from '../functions/core/http/contract.ts';
import { BUILT_IN_ROLES, type Permission } from '../functions/core/members/permissions.ts';
import * as z from '../functions/core/zod.ts';
import type { Route } from './routes.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table and each function's contract (the zod
 * schemas its handler validates with), so the document cannot drift from the code.
 */

type Json = Record<string, unknown>;

const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'RFC 9457 problem details.',
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable, machine-readable error code.' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string' }, message: { type: 'string' } },
        required: ['pointer', 'message'],
      },
    },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
};

const GATEWAY_MESSAGE: Json = {
  type: 'object',
  description: "API Gateway's own answer, before any function runs (a protected route without a valid token, a body over 10 MB).",
  properties: { message: { type: 'string' } },
  required: ['message'],
};

/**
 * What the gateway answers itself, before any function runs: on protected routes 401 and 403, on
 * routes that take a body 413, and on every route 431.
 */
const GATEWAY_DESCRIPTIONS: Record<number, string> = {
  401: 'No Authorization header (answered by API Gateway with {"message":"Unauthorized"}).',
  403: 'The token is invalid, expired or revoked (answered by API Gateway with {"message":"Forbidden"}).',
  413: 'Over 10 MB, API Gateway answers itself, with {"message":"Request Entity Too Large"}.',
  431: 'The request line and headers together are larger than the gateway accepts (answered by the gateway itself, without a body).',
};

function gatewayStatuses(auth: Route['auth'], takesBody: boolean): number[] {
  return [...(auth === 'jwt' ? [401, 403] : []), ...(takesBody ? [413] : []), 431];
}

/** What a 403 problem+json from the function itself means, where the contract lists 403. */
const FORBIDDEN_PROBLEM = 'Or the token belongs to another organization (problem+json).';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid (see `errors`).',
  401: 'Missing, invalid or revoked credentials or token.',
  403: 'The token belongs to another organization.',
  404: 'No such organization.',
  409: 'The name or email is taken, or another change is in progress.',
  413: 'The body is larger than 64 KB.',
  415: 'The body is not JSON (send application/json).',
  429: 'Too many failed logins; see Retry-After.',
  503: 'The database is unavailable; see Retry-After.',
};

/** The 429 every `jwt` route may answer (`#core/limits/admission.ts`). */
const RATE_LIMITED = "The organization is over its plan's request rate (`rate_limited`); retry after the Retry-After seconds.";

/** Loads a function's contract (its `schema.ts` export). */
export async function loadContract(functionName: string): Promise<Contract> {
  const module = (await import(new URL(`../functions/${functionName}/schema.ts`, import.meta.url).href)) as { schema: Contract };
  return module.schema;
}

export interface OpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  readonly serverUrl?: string;
}

export async function buildOpenApi(routes: readonly Route[], options: OpenApiOptions = {}): Promise<Json> {
  const components: Record<string, unknown> = { Problem: PROBLEM_SCHEMA, GatewayMessage: GATEWAY_MESSAGE };

  /** JSON Schema for OpenAPI: named schemas become components, refs point at them. */
  const toSchema = (schema: z.ZodMiniType, io: 'input' | 'output'): Json => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
    const { $schema: _, $defs, ...rest } = json;
    const relink = (value: unknown) =>
      JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
    for (const [name, def] of Object.entries(($defs as Json | undefined) ?? {})) components[name] = relink(def);
    return relink(rest);
  };

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const contract = await loadContract(route.function);
    const { body, query, params } = contract.request;
    const parameters: Json[] = [];
    if (params) {
      const p = toSchema(params, 'input') as { properties?: Record<string, Json> };
      for (const [name, schema] of Object.entries(p.properties ?? {})) {
        parameters.push({
          name,
          in: 'path',
          required: true,
          schema,
          ...(contract.example.params?.[name] !== undefined ? { example: contract.example.params[name] } : {}),
        });
      }
    }
    if (query) {
      const q = toSchema(query, 'input') as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        parameters.push({
          name,
          in: 'query',
          required: q.required?.includes(name) ?? false,
          // An object parameter is sent as name[key]=value pairs (`filter[status]=open`).
          ...(schema.type === 'object' ? { style: 'deepObject', explode: true } : {}),
          schema,
          ...(contract.example.query?.[name] !== undefined ? { example: contract.example.query[name] } : {}),
        });
      }
    }
    const responses: Record<string, Json> = {
      [String(contract.success.status)]: {
        description: contract.success.description,
        ...(contract.success.body
          ? {
              content: {
                [contract.success.mediaType ?? 'application/json']: { schema: toSchema(contract.success.body, 'output') },
              },
            }
          : {}),
      },
    };
    const gateway = gatewayStatuses(route.auth, body !== undefined);
    // Every `jwt` route counts its organization's requests against the plan's rate first.
    const rated = route.auth === 'jwt' && !contract.errors.includes(429);
    const errors = rated ? [...contract.errors, 429] : contract.errors;
    const statuses = new Set([...errors, ...gateway]);
    for (const status of [...statuses].sort()) {
      const fromGateway = gateway.includes(status);
      const own = errors.includes(status);
      const ownDescription =
        status === 429 && rated ? RATE_LIMITED : (contract.errorDescriptions?.[status] ?? ERROR_DESCRIPTIONS[status] ?? 'Error.');
      const description =
        status === 401 || status === 403
          ? fromGateway
            ? [GATEWAY_DESCRIPTIONS[status], status === 403 && own ? FORBIDDEN_PROBLEM : ''].join(' ').trim()
            : ownDescription
          : [own ? ownDescription : '', fromGateway ? GATEWAY_DESCRIPTIONS[status] : ''].join(' ').trim();
      const content = {
        ...(own ? { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } : {}),
        // The gateway's 431 has no body.
        ...(fromGateway && status !== 431
          ? { 'application/json': { schema: { $ref: '#/components/schemas/GatewayMessage' } } }
          : {}),
      };
      responses[String(status)] = {
        description,
        ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
        ...(Object.keys(content).length > 0 ? { content } : {}),
      };
    }
    const operation: Json = {
      operationId: route.function.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
      summary: route.summary,
      ...(route.auth === 'jwt' ? { description: permissionNote(route.permission) } : {}),
      ...(route.permission ? { 'x-permission': route.permission } : {}),
      tags: [route.path.split('/')[1] ?? 'api'],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                (contract.request.bodyTypes ?? ['application/json']).map((type) => [
                  type,
                  { schema: toSchema(body, 'input'), ...(contract.example.body ? { example: contract.example.body } : {}) },
                ]),
              ),
            },
          }
        : {}),
      responses,
      ...(route.auth === 'jwt' ? { security: [{ bearer: [] }] } : { security: [] }),
    };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, Json>)[route.method.toLowerCase()] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Organizations API',
      version: options.version ?? '0.1.0',
      description:
        "Multi-tenant organization management: organizations, their members and roles, sessions and records. Each protected operation names the permission it needs (`x-permission`); the caller's role in the active organization must hold it, or the answer is 403 `permission_denied`. Errors are RFC 9457 problem details (application/problem+json) with a stable `code`.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token from POST /admin/login.' },
      },
    },
  };
}

/** The sentence an operation's description gives about who may call it. */
function permissionNote(permission: Permission | undefined): string {
  if (!permission) return 'Any member of the active organization may call this.';
  const roles = (Object.keys(BUILT_IN_ROLES) as (keyof typeof BUILT_IN_ROLES)[]).filter((role) =>
    (BUILT_IN_ROLES[role] as readonly string[]).includes(permission),
  );
  return `Requires the permission \`${permission}\` in the active organization (built-in roles: ${roles.join(', ')}; or a custom role holding it).`;
}
