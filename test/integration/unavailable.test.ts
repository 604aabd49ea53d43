import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { invoke } from '../support/events.ts';

/** A port with nothing listening on it: the database is down. */
async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('Database outage', () => {
  it('answers 503 with Retry-After and no driver message', async () => {
    vi.stubEnv('MONGODB_URI', `mongodb://127.0.0.1:${await deadPort()}/`);
    vi.stubEnv('MONGODB_SERVER_SELECTION_TIMEOUT_MS', '300');
    vi.resetModules();
    const { handler } = await import('../../functions/org-get/handler.ts');

    const answer = await invoke(handler, { method: 'GET', path: '/org/get', query: { organization_name: 'Anything' } });

    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body.code).toBe('service_unavailable');
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|Mongo|127\.0\.0\.1/);
    const { closeMongoClient } = await import('#core/mongo/client.ts');
    await closeMongoClient();
  });
});
