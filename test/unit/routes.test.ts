import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AUTHORIZER_FUNCTION, databaseSetup, jobWorker, routes, scheduledFunctions } from '../../lib/routes.ts';

describe('Route table', () => {
  it('has one row per function folder, each with a handler, and no duplicate route', async () => {
    const folders = (await readdir('functions', { withFileTypes: true }))
      .filter((d) => d.isDirectory() && d.name !== 'core')
      .map((d) => d.name)
      .sort();

    const listed = [
      ...routes.map((r) => r.function),
      ...scheduledFunctions.map((f) => f.function),
      jobWorker.function,
      AUTHORIZER_FUNCTION,
      databaseSetup.function,
    ];
    expect(listed.sort()).toEqual(folders);
    for (const name of folders) expect(existsSync(`functions/${name}/handler.ts`), name).toBe(true);
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
  });
});
