import { vi } from 'vitest';
import type { PlacementMode } from '#core/orgs/model.ts';
import type { TestCaller } from './callers.ts';
import { type Answer, invoke } from './events.ts';

/**
 * One "container" of the service: every handler module loaded afresh with its own settings, so it
 * has its own MongoClient and its own placement cache, as a separate Lambda container would. Several
 * may run side by side in one test file (other placement modes, other containers serving one org).
 */

export type Caller = TestCaller;

export async function loadApi(mode: PlacementMode, env: Record<string, string> = {}) {
  vi.resetModules();
  vi.stubEnv('PLACEMENT_MODE', mode);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  try {
    const [create, get, update, del, rCreate, rList, rGet, rReplace, rPatch, rDelete, app, client] = await Promise.all([
      import('../../functions/org-create/handler.ts'),
      import('../../functions/org-get/handler.ts'),
      import('../../functions/org-update/handler.ts'),
      import('../../functions/org-delete/handler.ts'),
      import('../../functions/records-create/handler.ts'),
      import('../../functions/records-list/handler.ts'),
      import('../../functions/records-get/handler.ts'),
      import('../../functions/records-replace/handler.ts'),
      import('../../functions/records-patch/handler.ts'),
      import('../../functions/records-delete/handler.ts'),
      import('#core/app.ts'),
      import('#core/mongo/client.ts'),
    ]);
    const labels = await import('#core/orgs/labels.ts');
    const organizations = app.organizations({ label: labels.collectionLabel });
    const records = (path = '/org/records') => ({ path });
    return {
      mode,
      /** The organization use cases as this container runs them (for moves, which have no route). */
      organizations,
      close: () => client.closeMongoClient(),
      createOrg: (name: string, email: string, password = 'a fine password'): Promise<Answer> =>
        invoke(create.handler, { method: 'POST', path: '/org/create', body: { organization_name: name, email, password } }),
      getOrg: (name: string) => invoke(get.handler, { method: 'GET', path: '/org/get', query: { organization_name: name } }),
      updateOrg: (caller: Caller, body: object) => invoke(update.handler, { method: 'PUT', path: '/org/update', caller, body }),
      deleteOrg: (caller: Caller, name: string) =>
        invoke(del.handler, { method: 'DELETE', path: '/org/delete', caller, query: { organization_name: name } }),
      create: (caller: Caller, body: unknown, headers?: Record<string, string>) =>
        invoke(rCreate.handler, { method: 'POST', ...records(), caller, body, ...(headers ? { headers } : {}) }),
      list: (caller: Caller, query: Record<string, string> = {}) =>
        invoke(rList.handler, { method: 'GET', ...records(), caller, query }),
      get: (caller: Caller, id: string) =>
        invoke(rGet.handler, { method: 'GET', ...records(`/org/records/${id}`), params: { id }, caller }),
      replace: (caller: Caller, id: string, body: unknown) =>
        invoke(rReplace.handler, { method: 'PUT', ...records(`/org/records/${id}`), params: { id }, caller, body }),
      patch: (caller: Caller, id: string, body: unknown) =>
        invoke(rPatch.handler, {
          method: 'PATCH',
          ...records(`/org/records/${id}`),
          params: { id },
          caller,
          body,
          headers: { 'content-type': 'application/merge-patch+json' },
        }),
      remove: (caller: Caller, id: string) =>
        invoke(rDelete.handler, { method: 'DELETE', ...records(`/org/records/${id}`), params: { id }, caller }),
    };
  } finally {
    vi.unstubAllEnvs();
  }
}

export type Api = Awaited<ReturnType<typeof loadApi>>;

/** Every record of the caller's organization, page by page through the API. */
export async function listAll(api: Api, caller: Caller, query: Record<string, string> = {}) {
  const all: { id: string; data: Record<string, unknown>; created_at: string; updated_at: string }[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.list(caller, { limit: '100', ...query, ...(cursor ? { cursor } : {}) });
    if (page.status !== 200) throw new Error(`list answered ${page.status}: ${JSON.stringify(page.body)}`);
    all.push(...page.body.records);
    cursor = page.body.next_cursor ?? undefined;
  } while (cursor);
  return all;
}
