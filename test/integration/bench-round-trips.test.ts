import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_COLLECTIONS } from '#core/mongo/collections.ts';
import { installBcryptProbe } from '../../bin/bench/bcrypt-probe.ts';
import { type CaseRequest, type Pools, routeCases, scaleCases } from '../../bin/bench/cases.ts';
import { type BenchEnv, createBenchEnv } from '../../bin/bench/env.ts';
import { invokeRoute } from '../../bin/bench/handlers.ts';
import { Seeder } from '../../bin/bench/seed.ts';
import { commandsStarted } from '../support/commands.ts';

/**
 * The overhead figures compare a route's handler with its driver baseline (bin/bench/raw.ts); they
 * mean something only if both make the same round trips. Both sides' clients report every command
 * they start (`monitorCommands`), and each baseline must start the same commands, on the same
 * collections, in the same order, as the real handler does for the same request.
 */
describe('Bench: each baseline makes the round trips of its route', () => {
  let env: BenchEnv;
  let pools: Pools;
  let databasePools: Pools;
  let handlerClient: MongoClient;
  const probe = installBcryptProbe();

  /** `find organizations`, `insert org_locks`, ...: each command a call starts on `client`. */
  const commandsOf = (client: MongoClient, run: () => Promise<unknown>) => commandsStarted(client, run);

  beforeAll(async () => {
    const uri = process.env.MONGODB_URI ?? '';
    // Both the bench's own client (the baselines) and the handlers' client are made from this.
    process.env.MONGODB_URI = `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
    env = await createBenchEnv({ bcryptCost: 4 });
    const seeder = await Seeder.start(env);
    await seeder.growTo(4);
    pools = { readers: seeder.orgs.slice(0, 2), writers: seeder.orgs.slice(2) };
    await seeder.growTo(2, { mode: 'database' });
    databasePools = { readers: seeder.databaseOrgs, writers: seeder.databaseOrgs };
    const { databaseConfig } = await import('#core/config.ts');
    const { getMongoClient } = await import('#core/mongo/client.ts');
    handlerClient = await getMongoClient(databaseConfig());
  });

  afterAll(async () => {
    probe.restore();
    await env?.close();
  });

  /** The handler's commands for a request, after a first call (same caller) that warms it: indexes, authorizer. */
  async function handlerCommands(route: string, status: number, request: () => CaseRequest): Promise<string[]> {
    const call = async () => {
      const req = request();
      const answer = await invokeRoute(env, probe, route, req);
      expect(answer.status, answer.body).toBe(status);
      req.after?.();
    };
    await call();
    return commandsOf(handlerClient, call);
  }

  for (const c of new Set([...routeCases, ...scaleCases])) {
    it(`${c.route} (${c.note})`, async () => {
      const service = await handlerCommands(c.route, c.status, () => c.request(pools, 1));
      const baseline = await commandsOf(env.client, () => c.baseline(env.raw, pools, 1));

      expect(service.length).toBeGreaterThan(0);
      expect(baseline).toEqual(service);
    });
  }

  for (const c of scaleCases) {
    it(`${c.route} (${c.note}), an organization in database mode`, async () => {
      const service = await handlerCommands(c.route, c.status, () => c.request(databasePools, 1));
      const baseline = await commandsOf(env.client, () => c.baseline(env.raw, databasePools, 1));

      expect(service.length).toBeGreaterThan(0);
      expect(baseline).toEqual(service);
    });
  }

  it("POST /org/records (the HTTP part's write; bin/bench/bare-server.ts)", async () => {
    const org = pools.writers[0]!;
    const body = { title: 'bench record', n: 1, tags: ['bench'] };
    const service = await handlerCommands('POST /org/records', 201, () => ({ org, body }));
    const baseline = await commandsOf(env.client, () => env.raw.createRecord(org.orgId, body, org.adminId));

    expect(service.length).toBeGreaterThan(0);
    expect(baseline).toEqual(service);
  });

  it("POST /org/records, the organization's first request of the day (the usage document made: two updates)", async () => {
    const org = pools.writers[1]!;
    const body = { title: 'bench record', n: 2, tags: ['bench'] };
    const usage = env.client.db(env.masterDb).collection<{ _id: string }>(MASTER_COLLECTIONS.usage);
    /** As at a new UTC day: the organization has no usage document yet. */
    const newDay = () => usage.deleteMany({ _id: { $regex: `^${org.orgId}:` } });
    await invokeRoute(env, probe, 'POST /org/records', { org, body }); // warm: the plan cached
    await newDay();
    const service = await commandsOf(handlerClient, () => invokeRoute(env, probe, 'POST /org/records', { org, body }));
    await newDay();
    const baseline = await commandsOf(env.client, () => env.raw.createRecord(org.orgId, body, org.adminId));

    expect(service.filter((command) => command === 'update org_usage')).toHaveLength(2);
    expect(baseline).toEqual(service);
  });
});
