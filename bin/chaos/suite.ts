import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Document, MongoClient } from 'mongodb';
import { newKeySet } from '#core/auth/keys.ts';
import { toSlug } from '#core/orgs/model.ts';
import { freePort } from '../embedded-db/embedded-db.ts';
import { type Answer, acknowledged, call, sleep } from './http.ts';
import { Ledger } from './ledger.ts';
import { ApiProcess, Database, killScript, moveOrg, type ScriptRun } from './processes.ts';
import { Random } from './random.ts';
import { leftBehind, type Names, orgDoc, orgIdByEmail } from './state.ts';
import { type Target, Writers } from './writers.ts';

/**
 * The crash suite: one embedded database, two local API processes on it, writer loops writing
 * records through both, and the organization lifecycle (create, rename, move, delete) run again and
 * again with a SIGKILL of the process running it (or of the database) at a random moment. After each
 * kill: restart, recovery by requests, the reconciler, then the checks (every acknowledged write read
 * back unchanged, nothing left behind).
 */

export const OPERATIONS = ['create', 'rename', 'move', 'delete'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface SuiteOptions {
  readonly seed: number;
  /** Runs of each operation. */
  readonly runs: number;
  /** Concurrent writer loops. */
  readonly writers: number;
  /** The share of runs that kill the database instead of the process running the operation. */
  readonly databaseKills: number;
  /** OPERATION_LEASE_SECONDS of every process. */
  readonly leaseSeconds: number;
  /** The operations to run (all by default). */
  readonly operations?: readonly Operation[];
  /** Progress lines go here. */
  readonly log: (line: string) => void;
}

/** What one run did and found. */
export interface RunResult {
  readonly operation: Operation;
  readonly run: number;
  /** What was killed: the API process or script running the operation, the database, or nothing (it had ended). */
  readonly killed: 'process' | 'database' | 'none';
  /** When the kill came, in ms after the operation began. */
  readonly killAfterMs: number;
  /** The operation's own answer: its HTTP status, the script's 200 for exit code 0, or 0 for none. */
  readonly answered: number;
  /** Settled by requests alone (without the reconciler). */
  readonly byRequest: boolean;
  /** From the kill until nothing was left unsettled, in ms. */
  readonly recoverMs: number;
  readonly lost: readonly string[];
  /** What the reconciler's run did not settle either (new this run). */
  readonly leftBehind: readonly string[];
  /** What requests alone left for the reconciler. */
  readonly leftToReconciler: readonly string[];
  /**
   * The part of it about the run's own organization (its id, names, or the place it had): what the
   * operation's recovery by a request should have finished. The rest (a stray place a late write
   * made, say) is the reconciler's by design.
   */
  readonly subjectLeft: readonly string[];
}

interface Writer extends Target {
  name: string;
}

const NAMES: Names = { masterDb: 'chaos_master', tenantDb: 'chaos_tenants' };
const PASSWORD = 'chaos suite password';
const WRITER_ORGS = 3;

export class CrashSuite {
  readonly #options: SuiteOptions;
  readonly #random: Random;
  readonly #ledger = new Ledger();
  readonly #env: NodeJS.ProcessEnv;
  readonly #dir: string;
  readonly #db: Database;
  readonly #apis: ApiProcess[];
  readonly #writers: Writers;
  readonly #orgs: Writer[] = [];
  /** Organizations made for a delete run that are still there (their delete never happened): checked like the writers'. */
  readonly #survivors: Writer[] = [];
  readonly #client: MongoClient;
  /** Leftovers seen already (each is counted once, in the run it appeared). */
  readonly #known = new Set<string>();
  /** How long each operation takes when nothing is killed, in ms (the window the kills fall in). */
  readonly #window = new Map<Operation, number>();
  /** How long the move script takes to start and find nothing to do, in ms (kills before it are of little use). */
  #scriptStartMs = 0;

  private constructor(options: SuiteOptions, dir: string, db: Database, apis: ApiProcess[], env: NodeJS.ProcessEnv) {
    this.#options = options;
    this.#random = new Random(options.seed);
    this.#dir = dir;
    this.#db = db;
    this.#apis = apis;
    this.#env = env;
    this.#writers = new Writers(this.#ledger, () => this.#apis.map((a) => a.url));
    this.#client = new MongoClient(db.uri, { serverSelectionTimeoutMS: 15_000 });
  }

  /** Starts the database and the two API processes, and creates the writers' organizations. */
  static async start(options: SuiteOptions): Promise<CrashSuite> {
    const dir = await mkdtemp(join(tmpdir(), 'orgs-chaos-'));
    const db = new Database(join(dir, 'db'), await freePort());
    await db.start();
    const keys = await newKeySet();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MONGODB_URI: db.uri,
      MASTER_DB_NAME: NAMES.masterDb,
      TENANT_DB_NAME: NAMES.tenantDb,
      OPERATION_LEASE_SECONDS: String(options.leaseSeconds),
      MONGODB_SERVER_SELECTION_TIMEOUT_MS: '2000',
      PLACEMENT_MODE: 'collection',
      BCRYPT_COST: '10',
      DEFAULT_PLAN: 'premium',
      JWT_PRIVATE_KEY: JSON.stringify(keys.privateKey),
      JWT_PUBLIC_KEYS: JSON.stringify(keys.publicKeys),
      JWT_TTL_SECONDS: '86400',
      REVOCATION_CACHE_SECONDS: '0',
      DISPATCH_INTERVAL_MS: '600000',
      JOB_SWEEP_INTERVAL_MS: '1000',
      MAILER: 'mailbox',
      MAILBOX_DIR: join(dir, 'mailbox'),
      LOG_LEVEL: 'critical',
    };
    const apis = [new ApiProcess('api-a', await freePort(), env), new ApiProcess('api-b', await freePort(), env)];
    const suite = new CrashSuite(options, dir, db, apis, env);
    try {
      for (const api of apis) await api.start();
      await suite.#client.connect();
      await suite.#setUp();
    } catch (error) {
      await suite.stop().catch(() => undefined); // nothing keeps running after a failed start
      throw error;
    }
    return suite;
  }

  /** Organizations for the writers, and how long each operation takes when nothing is killed. */
  async #setUp(): Promise<void> {
    for (let i = 1; i <= WRITER_ORGS; i += 1) {
      const org = await this.#signUp(`Chaos Writer ${i}`, `writer-${i}@chaos.example`);
      this.#orgs.push(org);
      this.#writers.add(org);
    }
    const probe = await this.#signUp('Chaos Probe', 'probe@chaos.example');
    const api = this.#apis[0] as ApiProcess;
    const timed = async (op: Operation, run: () => Promise<unknown>) => {
      const t = performance.now();
      await run();
      this.#window.set(op, performance.now() - t);
    };
    await timed('create', () => this.#signUp('Chaos Probe Two', 'probe-two@chaos.example'));
    await timed('rename', () =>
      call(api.url, 'PUT', '/org/update', {
        token: probe.token,
        body: { organization_name: probe.name, new_organization_name: 'Chaos Probe Renamed' },
      }),
    );
    const t = performance.now();
    await moveOrg(['--id', '000000000000000000000000', '--to', 'database'], this.#env).done;
    this.#scriptStartMs = performance.now() - t;
    await timed('move', () => moveOrg(['--id', probe.orgId, '--to', 'database'], this.#env).done);
    await timed('delete', () =>
      call(api.url, 'DELETE', `/org/delete?organization_name=${encodeURIComponent('Chaos Probe Renamed')}`, {
        token: probe.token,
      }),
    );
    this.#options.log(
      `  windows (ms, nothing killed): ${[...this.#window].map(([op, ms]) => `${op} ${Math.round(ms)}`).join(', ')}` +
        ` (the move script starts in ${Math.round(this.#scriptStartMs)})`,
    );
    this.#writers.start(this.#options.writers, this.#random.fork());
  }

  /** Creates an organization through the API and logs its owner in. */
  async #signUp(name: string, email: string): Promise<Writer> {
    const api = this.#apis[0] as ApiProcess;
    const created = await call(api.url, 'POST', '/org/create', { body: { organization_name: name, email, password: PASSWORD } });
    if (created.status !== 201) throw new Error(`sign-up of ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    const token = await this.#logIn(email);
    return { orgId: created.body.organization_id, token, name };
  }

  async #logIn(email: string): Promise<string> {
    for (let attempt = 1; ; attempt += 1) {
      const api = this.#random.pick(this.#apis);
      const login = await call(api.url, 'POST', '/admin/login', { body: { email, password: PASSWORD } });
      if (login.status === 200) return login.body.access_token;
      if (attempt >= 20) throw new Error(`login of ${email}: ${login.status} ${JSON.stringify(login.body)}`);
      await sleep(250);
    }
  }

  /** Runs every operation `runs` times, in rounds. */
  async run(): Promise<RunResult[]> {
    const results: RunResult[] = [];
    for (let run = 1; run <= this.#options.runs; run += 1) {
      for (const operation of this.#options.operations ?? OPERATIONS) {
        const result = await this.#runOnce(operation, run);
        results.push(result);
        const flags = [
          result.lost.length ? `LOST ${result.lost.length}` : '',
          result.leftBehind.length ? `LEFT ${result.leftBehind.join('; ')}` : '',
        ].filter(Boolean);
        this.#options.log(
          `  ${operation} #${run}: killed ${result.killed} at ${Math.round(result.killAfterMs)} ms ` +
            `(answered ${result.answered || 'nothing'}), ` +
            `recovered in ${(result.recoverMs / 1000).toFixed(1)} s by ${result.byRequest ? 'requests' : 'the reconciler'}` +
            `${result.leftToReconciler.length ? ` (left to it: ${result.leftToReconciler.join('; ')})` : ''}` +
            `${flags.length ? ` ${flags.join(' ')}` : ''}`,
        );
        for (const line of result.lost) this.#options.log(`    lost: ${line}`);
      }
    }
    return results;
  }

  /** The check after the last run: the writers stopped, the reconciler once more, everything read back. */
  async finalCheck(): Promise<{ lost: string[]; leftBehind: string[] }> {
    await this.#writers.stop();
    await moveOrg(['--reconcile'], this.#env).done;
    const lost = await this.#lostRecords();
    const left = (await leftBehind(this.#client, NAMES)).filter((p) => !this.#known.has(p));
    return { lost, leftBehind: left };
  }

  async stop(): Promise<void> {
    await this.#writers.stop();
    for (const api of this.#apis) await api.kill();
    await this.#client.close().catch(() => undefined);
    await this.#db.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** Acknowledged writes per operation (the writes made while its runs went on). */
  get acknowledged(): ReadonlyMap<string, number> {
    return this.#ledger.acknowledged;
  }

  // ------------------------------------------------------------------ one run

  async #runOnce(operation: Operation, run: number): Promise<RunResult> {
    const random = this.#random;
    this.#ledger.label = operation;
    const api = random.pick(this.#apis);
    const subject = await this.#prepare(operation, run);
    const killDatabase = random.chance(this.#options.databaseKills);
    // Anywhere from the request to a little after its answer. The move script spends most of its
    // time starting (loading its modules, connecting): one kill in five lands then, the others from
    // the moment it marks the organization to a little after its work is done.
    const window = (this.#window.get(operation) ?? 200) * 1.3;
    const moveWindow = Math.max(100, (this.#window.get('move') ?? 0) - this.#scriptStartMs) * 1.3;
    const beforeMark = operation === 'move' && random.chance(0.2);
    const killAfterMs =
      operation !== 'move'
        ? random.between(0, window)
        : beforeMark
          ? random.between(0, this.#scriptStartMs)
          : random.between(0, moveWindow);
    await sleep(random.between(20, 150)); // the writers are at work

    const began = performance.now();
    const started = this.#begin(operation, subject, api);
    if (operation === 'move' && !beforeMark && subject.writer) {
      await this.#marked(subject.writer.orgId, started.script);
      await sleep(killAfterMs);
    } else {
      await sleep(killAfterMs - (performance.now() - began));
    }
    let killed: RunResult['killed'] = 'none';
    if (killDatabase) {
      await this.#db.kill();
      killed = 'database';
    } else if (started.script) {
      if (await killScript(started.script)) killed = 'process';
    } else {
      await api.kill();
      killed = 'process';
    }
    const killedAt = performance.now();
    const answer = await started.answer;
    subject.acked = acknowledged(answer);
    if (killed === 'database') {
      await sleep(random.between(0, 300));
      await this.#db.start();
    } else if (!api.alive) {
      await api.start();
    }

    // Recovery by requests: the next requests that meet the organization, until nothing is left
    // unsettled or a few seconds past the lease.
    const deadline = killedAt + this.#options.leaseSeconds * 1_000 + 5_000;
    let unsettled = await this.#unsettled();
    while (unsettled.length > 0 && performance.now() < deadline) {
      await this.#recoveryRequests(operation, subject);
      await sleep(200);
      unsettled = await this.#unsettled();
    }
    const byRequest = unsettled.length === 0;
    let recoverMs = performance.now() - killedAt;

    // The reconciler, on a quiet database; then the checks.
    await this.#writers.pause();
    await moveOrg(['--reconcile'], this.#env).done;
    if (!byRequest) recoverMs = performance.now() - killedAt;
    const left = await this.#unsettled();
    for (const line of left) this.#known.add(line);
    const lost = [...(await this.#subjectLost(operation, subject)), ...(await this.#lostRecords())];
    this.#writers.resume();
    return {
      operation,
      run,
      killed,
      killAfterMs,
      answered: answer.status,
      byRequest,
      recoverMs,
      lost,
      leftBehind: left,
      leftToReconciler: unsettled,
      subjectLeft: await this.#about(subject, unsettled),
    };
  }

  /** Resolves once the organization is being moved (or the script has ended). */
  async #marked(orgId: string, script: ScriptRun | undefined): Promise<void> {
    while (script && script.child.exitCode === null && script.child.signalCode === null) {
      const doc = await orgDoc(this.#client, NAMES, orgId).catch(() => null);
      if (doc?.status === 'moving') return;
      await sleep(5);
    }
  }

  /** The leftovers that name the subject: its id, one of its names (slugs), or the place it had before the run. */
  async #about(subject: Subject, lines: readonly string[]): Promise<string[]> {
    const id = subject.writer?.orgId ?? (subject.email ? await orgIdByEmail(this.#client, NAMES, subject.email) : null);
    const slugs = [subject.name, subject.newName].filter((n): n is string => n !== undefined).map(toSlug);
    const words = new Set([...(id ? [id] : []), ...slugs, ...(subject.place ? [subject.place] : [])]);
    const ours = (word: string) => words.has(word) || slugs.some((slug) => word.startsWith(`${NAMES.tenantDb}.org_${slug}_`));
    return lines.filter((line) => line.split(/[\s()]+/).some(ours));
  }

  /** What is left behind now that was not before this run. */
  async #unsettled(): Promise<string[]> {
    return (await leftBehind(this.#client, NAMES)).filter((p) => !this.#known.has(p));
  }

  /** The organization a run works on. */
  async #prepare(operation: Operation, run: number): Promise<Subject> {
    const writer = this.#orgs[(run - 1) % this.#orgs.length] as Writer;
    switch (operation) {
      case 'create':
        return { name: `Chaos Created ${run}`, email: `created-${run}@chaos.example`, acked: false };
      case 'rename': {
        const doc = await orgDoc(this.#client, NAMES, writer.orgId);
        const from = String(doc?.name ?? writer.name);
        const to = `Chaos Writer ${writer.orgId.slice(-4)} r${run}`;
        return { name: from, newName: to, writer, place: placeOf(doc), acked: false };
      }
      case 'move': {
        const doc = await orgDoc(this.#client, NAMES, writer.orgId);
        return {
          name: String(doc?.name),
          writer,
          to: doc?.placement.mode === 'database' ? 'collection' : 'database',
          place: placeOf(doc),
          acked: false,
        };
      }
      case 'delete': {
        const email = `deleted-${run}@chaos.example`;
        const org = await this.#signUp(`Chaos Deleted ${run}`, email);
        this.#writers.add(org);
        await sleep(300); // some records to delete
        const doc = await orgDoc(this.#client, NAMES, org.orgId);
        return { name: org.name, email, writer: org, place: placeOf(doc), acked: false };
      }
    }
  }

  /** Begins the operation through `api` (or the move script). */
  #begin(operation: Operation, subject: Subject, api: ApiProcess): { answer: Promise<Answer>; script?: ScriptRun } {
    switch (operation) {
      case 'create':
        return {
          answer: call(api.url, 'POST', '/org/create', {
            body: { organization_name: subject.name, email: subject.email, password: PASSWORD },
          }),
        };
      case 'rename':
        return {
          answer: call(api.url, 'PUT', '/org/update', {
            token: subject.writer?.token,
            body: { organization_name: subject.name, new_organization_name: subject.newName },
          }),
        };
      case 'move': {
        const script = moveOrg(['--id', subject.writer?.orgId ?? '', '--to', subject.to ?? 'database'], this.#env);
        return { script, answer: script.done.then(({ code }) => ({ status: code === 0 ? 200 : 0, body: undefined })) };
      }
      case 'delete':
        return {
          answer: call(api.url, 'DELETE', `/org/delete?organization_name=${encodeURIComponent(subject.name)}`, {
            token: subject.writer?.token,
          }),
        };
    }
  }

  /** One round of the requests a client would send next: the same operation again, a look-up, a records write. */
  async #recoveryRequests(operation: Operation, subject: Subject): Promise<void> {
    const api = this.#random.pick(this.#apis).url;
    const get = (name: string) => call(api, 'GET', `/org/get?organization_name=${encodeURIComponent(name)}`);
    const token = subject.writer?.token;
    switch (operation) {
      case 'create': {
        const again = await call(api, 'POST', '/org/create', {
          body: { organization_name: subject.name, email: subject.email, password: PASSWORD },
        });
        if (again.status === 201) subject.created = true;
        return;
      }
      case 'rename': {
        await get(subject.newName ?? '');
        await get(subject.name);
        if (subject.writer) await this.#writers.writeOnce(subject.writer, this.#random, new Map());
        const again = await call(api, 'PUT', '/org/update', {
          token,
          body: { organization_name: subject.name, new_organization_name: subject.newName },
        });
        if (again.status === 404) {
          await call(api, 'PUT', '/org/update', {
            token,
            body: { organization_name: subject.newName, new_organization_name: subject.newName },
          });
        }
        return;
      }
      case 'move':
        if (subject.writer) await this.#writers.writeOnce(subject.writer, this.#random, new Map());
        await call(api, 'GET', '/org/records?limit=1', { token });
        await call(api, 'GET', '/org/jobs', { token }); // following the move's job
        return;
      case 'delete': {
        const again = await call(api, 'DELETE', `/org/delete?organization_name=${encodeURIComponent(subject.name)}`, { token });
        await get(subject.name);
        // The owner is gone with the organization's people: the next request that meets the name is a sign-up.
        if (again.status === 401 || again.status === 403) {
          await call(api, 'POST', '/org/create', {
            body: { organization_name: subject.name, email: subject.email, password: PASSWORD },
          });
        }
        return;
      }
    }
  }

  /** An acknowledged operation whose effect is not there (a create acknowledged but no organization, ...). */
  async #subjectLost(operation: Operation, subject: Subject): Promise<string[]> {
    const doc = subject.writer ? await orgDoc(this.#client, NAMES, subject.writer.orgId) : null;
    switch (operation) {
      case 'create': {
        const id = subject.email ? await orgIdByEmail(this.#client, NAMES, subject.email) : null;
        const exists = id !== null && (await orgDoc(this.#client, NAMES, id))?.status === 'active';
        return (subject.acked || subject.created) && !exists ? [`acknowledged create of ${subject.name}: no organization`] : [];
      }
      case 'rename':
        return subject.acked && doc?.name !== subject.newName
          ? [`acknowledged rename to ${subject.newName}: named ${doc?.name}`]
          : [];
      case 'move':
        return subject.acked && doc?.placement.mode !== subject.to
          ? [`acknowledged move to ${subject.to}: in ${doc?.placement.mode}`]
          : [];
      case 'delete': {
        const writer = subject.writer;
        // Gone, or archived where a delete archives (its data kept out of reach until a purge).
        const deleted = !doc || doc.status === 'archived';
        if (writer && deleted) {
          this.#writers.remove(writer.orgId);
          this.#ledger.forget(writer.orgId); // deleted, as asked: its records went with it
        } else if (writer) {
          this.#survivors.push(writer);
        }
        return subject.acked && !deleted ? [`acknowledged delete of ${subject.name}: still there (${doc?.status})`] : [];
      }
    }
  }

  /** Every ledger entry of every organization writers write to, read back through the API, that does not match. */
  async #lostRecords(): Promise<string[]> {
    const lost: string[] = [];
    for (const org of [...this.#orgs, ...this.#survivors]) {
      const found = await this.#readAll(org);
      if (!found) {
        lost.push(`records of ${org.name} could not be read back`);
        continue;
      }
      for (const miss of this.#ledger.lost(org.orgId, found)) {
        lost.push(`record ${miss.id} of ${org.name}: holds ${miss.found}, acknowledged ${miss.expected.join(' or ')}`);
      }
    }
    return lost;
  }

  /** Every record of the organization, read through the API page by page (null if it would not answer). */
  async #readAll(org: Target): Promise<Map<string, unknown> | null> {
    const found = new Map<string, unknown>();
    let cursor: string | null = null;
    for (let page = 0; page < 1_000; page += 1) {
      const query: string = `/org/records?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      let answer: Answer | undefined;
      for (let attempt = 1; attempt <= 20; attempt += 1) {
        answer = await call(this.#random.pick(this.#apis).url, 'GET', query, { token: org.token });
        if (answer.status === 200) break;
        await sleep(250);
      }
      if (answer?.status !== 200) return null;
      for (const record of answer.body.records as { id: string; data: unknown }[]) found.set(record.id, record.data);
      cursor = answer.body.next_cursor;
      if (!cursor) return found;
    }
    return found;
  }
}

/** An organization document's place, as `database.collection`. */
const placeOf = (doc: Document | null): string | undefined =>
  doc ? `${doc.placement.database}.${doc.placement.collection}` : undefined;

/** What a run works on, and what it was told. */
interface Subject {
  readonly name: string;
  readonly email?: string;
  readonly newName?: string;
  readonly to?: 'collection' | 'database';
  readonly writer?: Writer;
  /** Where its data was before the run (`database.collection`). */
  readonly place?: string;
  /** The operation's own request was acknowledged (2xx, or the script exited 0). */
  acked: boolean;
  /** A create retried during recovery was acknowledged. */
  created?: boolean;
}
