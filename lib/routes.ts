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
}

/** The folder of the Lambda authorizer that guards every `jwt` route. */
export const AUTHORIZER_FUNCTION = 'authorizer';

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
  { method: 'POST', path: '/org/records', function: 'records-create', auth: 'jwt', summary: 'Create a record' },
  { method: 'GET', path: '/org/records', function: 'records-list', auth: 'jwt', summary: 'List records, newest first' },
  { method: 'GET', path: '/org/records/{id}', function: 'records-get', auth: 'jwt', summary: 'Read a record' },
  { method: 'PUT', path: '/org/records/{id}', function: 'records-replace', auth: 'jwt', summary: "Replace a record's data" },
  { method: 'PATCH', path: '/org/records/{id}', function: 'records-patch', auth: 'jwt', summary: 'Merge fields into a record' },
  { method: 'DELETE', path: '/org/records/{id}', function: 'records-delete', auth: 'jwt', summary: 'Delete a record' },
];
