import { mergeTopLevel, type RecordData } from '#core/records/model.ts';
import { type Answer, acknowledged, call, sleep } from './http.ts';
import { GONE, type Ledger } from './ledger.ts';
import type { Random } from './random.ts';

/**
 * Concurrent writer loops: each creates, replaces, patches and deletes records of the organizations
 * it is given, through any of the API processes, one request at a time, and enters every answer in
 * the ledger. A record is only ever written by the loop that created it, so the ledger knows the
 * order of its writes.
 */

/** An organization writers write to: its id and a token of its owner. */
export interface Target {
  readonly orgId: string;
  readonly token: string;
}

const RECORDS_PER_TARGET = 6;

export class Writers {
  readonly #ledger: Ledger;
  readonly #apis: () => readonly string[];
  readonly #targets = new Map<string, Target>();
  readonly #loops: Promise<void>[] = [];
  #paused = false;
  #stopped = false;
  #busy = 0;

  /** `apis`: the base URLs of the API processes (asked before each request). */
  constructor(ledger: Ledger, apis: () => readonly string[]) {
    this.#ledger = ledger;
    this.#apis = apis;
  }

  add(target: Target): void {
    this.#targets.set(target.orgId, target);
  }

  remove(orgId: string): void {
    this.#targets.delete(orgId);
  }

  /** Starts `count` loops, each with a generator of its own. */
  start(count: number, random: Random): void {
    for (let i = 0; i < count; i += 1) this.#loops.push(this.#loop(random.fork(), i));
  }

  /** Stops new requests and resolves once every loop is idle (for a check of a quiet database). */
  async pause(): Promise<void> {
    this.#paused = true;
    while (this.#busy > 0) await sleep(10);
  }

  resume(): void {
    this.#paused = false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }

  /** One records write to `target`, entered in the ledger; for recovery by a request as well. */
  async writeOnce(target: Target, random: Random, mine: Map<string, string[]>): Promise<Answer> {
    const base = random.pick(this.#apis());
    const own = mine.get(target.orgId) ?? [];
    mine.set(target.orgId, own);
    const token = target.token;
    const stamp = { w: random.next().toString(36).slice(2, 10) };
    if (own.length < RECORDS_PER_TARGET && (own.length === 0 || random.chance(0.5))) {
      const answer = await call(base, 'POST', '/org/records', { token, body: { kind: 'created', ...stamp } });
      if (acknowledged(answer)) {
        this.#ledger.stored(target.orgId, answer.body.id, answer.body.data);
        own.push(answer.body.id);
      }
      return answer; // an unanswered create may have stored a record the ledger cannot name: never checked
    }
    const id = random.pick(own);
    const action = random.pick(['replace', 'patch', 'patch', 'delete'] as const);
    if (action === 'delete') {
      const answer = await call(base, 'DELETE', `/org/records/${id}`, { token });
      if (acknowledged(answer)) this.#ledger.deleted(id);
      else this.#ledger.maybe(id, GONE);
      own.splice(own.indexOf(id), 1); // gone, or maybe gone: written no more
      return answer;
    }
    const body: RecordData =
      action === 'replace' ? { kind: 'replaced', ...stamp } : { patched: stamp.w, n: Math.floor(random.next() * 1000) };
    const answer = await call(base, action === 'replace' ? 'PUT' : 'PATCH', `/org/records/${id}`, { token, body });
    if (acknowledged(answer)) this.#ledger.stored(target.orgId, id, answer.body.data);
    else if (answer.status === 0) {
      // No answer within the time limit may mean a write still on its way: write this record no more.
      for (const state of this.#ledger.states(id))
        this.#ledger.maybe(id, action === 'replace' ? body : mergeTopLevel(state, body));
      own.splice(own.indexOf(id), 1);
    } else {
      for (const state of this.#ledger.states(id))
        this.#ledger.maybe(id, action === 'replace' ? body : mergeTopLevel(state, body));
    }
    return answer;
  }

  async #loop(random: Random, _index: number): Promise<void> {
    const mine = new Map<string, string[]>();
    while (!this.#stopped) {
      const targets = [...this.#targets.values()];
      if (this.#paused || targets.length === 0) {
        await sleep(20);
        continue;
      }
      this.#busy += 1;
      try {
        await this.writeOnce(random.pick(targets), random, mine);
      } finally {
        this.#busy -= 1;
      }
      await sleep(random.between(0, 30));
    }
  }
}
