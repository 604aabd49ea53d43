/**
 * The route table: one row per HTTP endpoint. The CDK stack, the local API server and the API
 * document are all generated from this list, so they cannot drift apart. It imports nothing, so any
 * of them can load it cheaply.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  /** Folder under functions/ holding `handler.ts` (exported `handler`) and `schema.ts`. */
  readonly function: string;
  readonly auth: 'public' | 'jwt';
  readonly summary: string;
  /** Part of the published API description; a stage may leave such routes out. */
  readonly docs?: boolean;
}

/** The folder of the Lambda authorizer that guards every `jwt` route. */
export const AUTHORIZER_FUNCTION = 'authorizer';

/** Functions that run on a schedule rather than behind a route. */
export interface ScheduledFunction {
  readonly function: string;
  /** An EventBridge schedule expression. */
  readonly schedule: string;
  readonly summary: string;
}

export const scheduledFunctions: readonly ScheduledFunction[] = [
  {
    function: 'reconciler',
    schedule: 'rate(5 minutes)',
    summary: 'Finish or undo organization changes whose run died midway; free unused name reservations',
  },
];

export const routes: readonly Route[] = [
  {
    method: 'POST',
    path: '/org/create',
    function: 'org-create',
    auth: 'public',
    summary: 'Create an organization and its admin',
  },
  { method: 'GET', path: '/org/get', function: 'org-get', auth: 'public', summary: "Read an organization's public metadata" },
  {
    method: 'PUT',
    path: '/org/update',
    function: 'org-update',
    auth: 'jwt',
    summary: 'Rename the organization or change admin credentials',
  },
  {
    method: 'DELETE',
    path: '/org/delete',
    function: 'org-delete',
    auth: 'jwt',
    summary: 'Delete the organization and all its data',
  },
  {
    method: 'POST',
    path: '/admin/login',
    function: 'admin-login',
    auth: 'public',
    summary: 'Log in as an admin and get an access token',
  },
  {
    method: 'POST',
    path: '/admin/refresh',
    function: 'admin-refresh',
    auth: 'public',
    summary: 'Swap a refresh token for new tokens',
  },
  { method: 'POST', path: '/admin/logout', function: 'admin-logout', auth: 'jwt', summary: 'End this session' },
  {
    method: 'POST',
    path: '/admin/logout-all',
    function: 'admin-logout-all',
    auth: 'jwt',
    summary: 'End every session of this admin',
  },
  {
    method: 'GET',
    path: '/openapi.json',
    function: 'openapi',
    auth: 'public',
    summary: "This API's OpenAPI document",
    docs: true,
  },
];
