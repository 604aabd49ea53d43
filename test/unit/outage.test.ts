import { type AddressInfo, connect, createServer } from 'node:net';
import { MongoNetworkError, MongoOperationTimeoutError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseConfig } from '#core/config.ts';
import { UnavailableError } from '#core/errors.ts';
import { createMongoClient } from '#core/mongo/client.ts';
import { isOutage, mapOutage, withUnavailableMapping } from '#core/mongo/errors.ts';
import { DatabaseUnreachableError, DatabaseWatch, databaseWatch } from '#core/mongo/health.ts';
import { newRequestContext, runInRequest } from '#core/request-context.ts';

/** A Node.js system error as a socket emits it (`code` set, no driver class around it). */
const systemError = (code: string) => Object.assign(new Error(`write ${code}`), { code });
/** What a server selection error reports about the deployment (nothing, here). */
const topology = { error: undefined, servers: new Map() } as unknown as ConstructorParameters<
  typeof MongoServerSelectionError
>[1];
/** A driver error the driver does not export as a class, known by its name. */
const named = (name: string) => Object.assign(new Error(name), { name });

describe('Function: isOutage', () => {
  it.each([
    ['a bare EPIPE from a socket write', systemError('EPIPE')],
    ['a reset connection', systemError('ECONNRESET')],
    ['a refused connection', systemError('ECONNREFUSED')],
    ['a socket closed under a stream', systemError('ERR_STREAM_DESTROYED')],
    ['a driver network error', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
    ['no selectable server', new MongoServerSelectionError('Server selection timed out after 5000 ms', topology)],
    ['a cleared pool', named('MongoPoolClearedError')],
    ['a pool cleared after a network error', named('PoolClearedOnNetworkError')],
    ['a closed pool', named('MongoPoolClosedError')],
    ['no pooled connection free in time', named('MongoWaitQueueTimeoutError')],
    ['an operation timeout', new MongoOperationTimeoutError('Timed out during socket read')],
    ['a server shutting down', new MongoServerError({ code: 91, errmsg: 'shutdown in progress' })],
    ['a silent database', new DatabaseUnreachableError('silent', 5_000)],
    ['a network failure as the cause of another error', new Error('write failed', { cause: systemError('EPIPE') })],
  ])('is true for %s', (_, error) => {
    expect(isOutage(error)).toBe(true);
  });

  it.each([
    ['a duplicate key', new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' })],
    ['a bad query', new MongoServerError({ code: 2, errmsg: 'unknown operator' })],
    ['a programming error', new TypeError('x is not a function')],
    ['a typed error of the service', new UnavailableError('moving', { code: 'organization_migrating' })],
    ['nothing at all', undefined],
  ])('is false for %s', (_, error) => {
    expect(isOutage(error)).toBe(false);
  });
});

describe('Function: mapOutage', () => {
  it('turns an outage into a 503 with Retry-After and keeps the original only as its cause', () => {
    const epipe = systemError('EPIPE');

    const mapped = mapOutage(epipe);

    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped).toMatchObject({ name: 'UnavailableError', code: 'service_unavailable', retryAfterSeconds: 5, cause: epipe });
    expect((mapped as Error).message).not.toMatch(/EPIPE/);
  });

  it('leaves the service own 503s (a move in progress) as they are', () => {
    const migrating = new UnavailableError('moving', { code: 'organization_migrating', retryAfterSeconds: 2 });

    expect(mapOutage(migrating)).toBe(migrating);
  });
});

describe('Function: withUnavailableMapping', () => {
  beforeEach(() => {
    databaseWatch.heard(); // the database answered since: no outage from an earlier test is held
  });

  it('answers a store call that fails with a bare socket error as unavailable', async () => {
    const store = withUnavailableMapping({
      insert: async () => {
        throw systemError('EPIPE');
      },
    });

    await expect(store.insert()).rejects.toMatchObject({ name: 'UnavailableError', code: 'service_unavailable' });
  });

  it('passes on what the database answered', async () => {
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
    const store = withUnavailableMapping({
      insert: async () => {
        throw duplicate;
      },
      find: async (id: string) => ({ id }),
    });

    await expect(store.insert()).rejects.toBe(duplicate);
    await expect(store.find('a')).resolves.toEqual({ id: 'a' });
  });

  it("adds each store call, answered or failed, to the invocation's database time and calls", async () => {
    const store = withUnavailableMapping({
      slow: () => new Promise((resolve) => setTimeout(() => resolve('done'), 30)),
      fails: async () => {
        throw new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
      },
    });
    const request = newRequestContext('org-get');

    await runInRequest(request, async () => {
      await store.slow();
      await expect(store.fails()).rejects.toThrow('duplicate key');
      await Promise.all([store.slow(), store.slow()]);
    });

    expect(request.databaseCalls).toBe(4);
    // Three calls of at least 30 ms (two of them side by side, both counted) and one failure.
    expect(request.databaseMs).toBeGreaterThanOrEqual(85);
    expect(request.databaseMs).toBeLessThan(1_000);
    // Outside an invocation (a script, cold start) nothing is recorded and nothing fails.
    await expect(store.slow()).resolves.toBe('done');
    expect(request.databaseCalls).toBe(4);
  });

  it('counts a call made inside another as part of it, and not a call refused right after an outage', async () => {
    const leases = withUnavailableMapping({ check: () => new Promise((resolve) => setTimeout(() => resolve(true), 20)) });
    const places = withUnavailableMapping({
      copyBatch: async () => {
        await leases.check(); // the job's lease check, made from inside the copy step
        await leases.check();
        return 'copied';
      },
      broken: async () => {
        throw systemError('ECONNRESET');
      },
      find: async () => 'found',
    });
    const request = newRequestContext('job-worker');

    try {
      await runInRequest(request, async () => {
        await expect(places.copyBatch()).resolves.toBe('copied');
        expect(request.databaseCalls).toBe(1);
        expect(request.databaseMs).toBeGreaterThanOrEqual(38);
        expect(request.databaseMs).toBeLessThan(80); // the inner 40 ms once, not twice
        await new Promise((resolve) => setTimeout(resolve, 5)); // the failure comes after the last answer
        await expect(places.broken()).rejects.toMatchObject({ name: 'UnavailableError' });
        expect(request.databaseCalls).toBe(2); // sent, and failed
        await expect(places.find()).rejects.toMatchObject({ name: 'UnavailableError' });
        expect(request.databaseCalls).toBe(2); // held: never sent
      });
    } finally {
      databaseWatch.heard();
    }
  });
});

describe('Function: createMongoClient', () => {
  const config = { serverSelectionTimeoutMS: 2_000, maxPoolSize: 4 } as DatabaseConfig;

  it('leaves command monitoring off (each command would build events and decode its reply twice)', async () => {
    const client = createMongoClient('mongodb://127.0.0.1:1/', config);
    expect(client.options.monitorCommands).toBe(false);
    expect(client.options.maxPoolSize).toBe(4);
    await client.close();
  });

  it('turns it on when the connection string asks (tests and the bench count commands)', async () => {
    const client = createMongoClient('mongodb://127.0.0.1:1/?monitorCommands=true', config);
    expect(client.options.monitorCommands).toBe(true);
    await client.close();
  });
});

describe('Class: DatabaseWatch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const never = () => new Promise<never>(() => {});
  const outage = (error: unknown) => isOutage(error);

  it('gives up a call once the database has been silent for the bound', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000 });
    const call = watch.run(never, outage);
    const settled = vi.fn();
    call.catch(settled);

    await vi.advanceTimersByTimeAsync(999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersToNextTimerAsync(); // the judgement waits for the event loop's reads (setImmediate)

    await expect(call).rejects.toMatchObject({ name: 'DatabaseUnreachableError', reason: 'silent' });
  });

  it('does not call silent an answer that arrived while the process itself was held up', async () => {
    // A loopback server that answers 20 ms after it is asked; the process is then busy for 300 ms,
    // past the 100 ms bound, so its timer fires late with the answer waiting unread in the socket.
    let asked!: () => void;
    const wasAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const server = createServer((socket) =>
      socket.on('data', () => {
        asked();
        setTimeout(() => socket.end('pong'), 20);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const watch = new DatabaseWatch({ silenceMs: 100 });
      const ask = () =>
        new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.write('ping'));
          socket.on('data', (data) => resolve(String(data)));
          socket.on('error', reject);
        });
      const call = watch.run(ask, outage);
      await wasAsked; // connected and asked (however long that took on a busy machine)
      const until = Date.now() + 300;
      while (Date.now() < until) {
        // held up: no timer, no socket read
      }

      await expect(call).resolves.toBe('pong');
    } finally {
      server.close();
    }
  });

  it('lets a long call go on while the server answers its heartbeats', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000 });
    const call = watch.run(() => new Promise((resolve) => setTimeout(() => resolve('copied'), 5_000)), outage);
    const heartbeats = setInterval(() => watch.heard(), 400);

    await vi.advanceTimersByTimeAsync(5_000);
    clearInterval(heartbeats);

    await expect(call).resolves.toBe('copied');
  });

  it('fails new calls at once right after an outage, until the database is heard from again', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000, holdMs: 500 });
    await expect(watch.run(() => Promise.reject(systemError('ECONNREFUSED')), outage)).rejects.toThrow();
    const attempt = vi.fn(async () => 'ok');

    await expect(watch.run(attempt, outage)).rejects.toMatchObject({ reason: 'held' });
    expect(attempt).not.toHaveBeenCalled();
    watch.heard();
    await expect(watch.run(attempt, outage)).resolves.toBe('ok');
  });

  it('stops holding once the hold time has passed', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000, holdMs: 500 });
    await expect(watch.run(() => Promise.reject(systemError('ECONNREFUSED')), outage)).rejects.toThrow();

    await vi.advanceTimersByTimeAsync(500);

    await expect(watch.run(async () => 'ok', outage)).resolves.toBe('ok');
  });

  it('calls the client stale when calls have kept failing and none succeeded for the stale time', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000, holdMs: 0, staleAfterMs: 3_000 });
    const stale = vi.fn();
    watch.onStale(stale);
    const fail = () => watch.run(() => Promise.reject(systemError('ECONNRESET')), outage).catch(() => {});

    await fail();
    await vi.advanceTimersByTimeAsync(2_000);
    await watch.run(async () => 'ok', outage);
    await vi.advanceTimersByTimeAsync(2_000);
    await fail();
    expect(stale).not.toHaveBeenCalled(); // a call succeeded 2 s ago
    await vi.advanceTimersByTimeAsync(1_000);
    await fail();

    expect(stale).toHaveBeenCalledTimes(1);
  });

  it('does not count a failure the database answered as an outage', async () => {
    vi.useFakeTimers();
    const watch = new DatabaseWatch({ silenceMs: 1_000, holdMs: 500 });
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });

    await expect(watch.run(() => Promise.reject(duplicate), outage)).rejects.toBe(duplicate);

    await expect(watch.run(async () => 'ok', outage)).resolves.toBe('ok');
  });

  it('tells when every call running now has ended, not waiting for calls started later', async () => {
    const watch = new DatabaseWatch({ silenceMs: 60_000 });
    let finishFirst = () => {};
    const first = watch.run(() => new Promise<void>((resolve) => (finishFirst = resolve)), outage);
    const drained = vi.fn();
    watch.drained().then(drained);
    const later = watch.run(never, outage);
    later.catch(() => {});

    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(drained).not.toHaveBeenCalled();
    finishFirst();
    await first;

    await vi.waitFor(() => expect(drained).toHaveBeenCalled());
  });
});
