import type { RawDb } from './raw.ts';
import { BENCH_PASSWORD, type SeededOrg } from './seed.ts';

/**
 * The routes the handler and scale parts measure. Each case says which request to send on
 * iteration `i` and what the driver alone does for the same database work; the runner finds the
 * route's function and auth in lib/routes.ts, builds the API Gateway event, adds the authorizer's
 * context for JWT routes, and checks the status. Benchmarking another route is one more entry.
 */

/** The organizations a run may use: reads never change them, writes change only the writers. */
export interface Pools {
  readonly readers: readonly SeededOrg[];
  readonly writers: readonly SeededOrg[];
}

export interface CaseRequest {
  /** Whose request it is: the caller of a JWT route. */
  readonly org: SeededOrg;
  readonly query?: Record<string, string>;
  /** Path parameters: `{id}` in the route's path. */
  readonly params?: Record<string, string>;
  readonly body?: unknown;
  /** Runs after the handler answered as expected. */
  readonly after?: () => void;
}

export interface RouteCase {
  /** `METHOD /path` of a row of lib/routes.ts. */
  readonly route: string;
  /** What the request does, for the table. */
  readonly note: string;
  readonly status: number;
  /**
   * bcrypt runs in it (and in its baseline): measured `--login-iterations` times instead of
   * `--iterations`, and the time inside bcrypt is taken out of both sides.
   */
  readonly bcrypt?: boolean;
  request(pools: Pools, i: number): CaseRequest;
  /**
   * The same request's database work with the driver alone: the same round trips as the handler
   * (a RawDb method lists them; test/unit/bench.test.ts compares both sides' commands).
   */
  baseline(raw: RawDb, pools: Pools, i: number): Promise<unknown>;
}

/**
 * The organization for iteration `i`: a stride through the list, so consecutive iterations hit
 * organizations spread over the whole collection, and the handler and its baseline hit the same one.
 */
export function pick(list: readonly SeededOrg[], i: number): SeededOrg {
  const org = list[Math.abs(i * 7919) % list.length];
  if (!org) throw new Error('no organization to pick from');
  return org;
}

/** The name with its first letter's case flipped: a new spelling of the same slug. */
export const respelled = (name: string) => {
  const first = name.charAt(0);
  const flipped = first === first.toUpperCase() ? first.toLowerCase() : first.toUpperCase();
  return `${flipped}${name.slice(1)}`;
};

const getOrg: RouteCase = {
  route: 'GET /org/get',
  note: 'public read by name',
  status: 200,
  request: (pools, i) => {
    const org = pick(pools.readers, i);
    return { org, query: { organization_name: org.name } };
  },
  baseline: (raw, pools, i) => raw.getOrg(pick(pools.readers, i).slug),
};

const login: RouteCase = {
  route: 'POST /admin/login',
  note: 'correct password; bcrypt taken out of both sides',
  status: 200,
  bcrypt: true,
  request: (pools, i) => {
    const org = pick(pools.readers, i);
    return { org, body: { email: org.email, password: BENCH_PASSWORD } };
  },
  baseline: (raw, pools, i) => raw.login(pick(pools.readers, i).email, BENCH_PASSWORD),
};

export const routeCases: readonly RouteCase[] = [
  getOrg,
  {
    route: 'PUT /org/update',
    note: 'a new spelling of the name, no rename',
    status: 200,
    request: (pools, i) => {
      const org = pick(pools.writers, i);
      const name = respelled(org.name);
      return {
        org,
        body: { organization_name: org.name, new_organization_name: name },
        after: () => {
          org.name = name;
        },
      };
    },
    baseline: async (raw, pools, i) => {
      const org = pick(pools.writers, i);
      const name = respelled(org.name);
      await raw.respell(org.slug, name, org.orgId, org.adminId);
      org.name = name;
    },
  },
  login,
];

/** The body of the bench's records writes: three fields. */
const recordBody = (i: number) => ({ kind: 'bench', i, note: `record ${i}` });

/**
 * The routes of the scale part, in both placement modes: the public read, a login, and a records read
 * and write (each a fence around one operation on the organization's own place). Readers and writers
 * are the same organizations there; a records write only adds a record.
 */
export const scaleCases: readonly RouteCase[] = [
  getOrg,
  login,
  {
    route: 'GET /org/records/{id}',
    note: 'one record by id, placement cache off',
    status: 200,
    request: (pools, i) => {
      const org = pick(pools.readers, i);
      return { org, params: { id: org.recordId } };
    },
    baseline: (raw, pools, i) => {
      const org = pick(pools.readers, i);
      return raw.getRecord(org.orgId, org.recordId, org.adminId);
    },
  },
  {
    route: 'POST /org/records',
    note: 'a new record of three fields',
    status: 201,
    request: (pools, i) => ({ org: pick(pools.writers, i), body: recordBody(i) }),
    baseline: (raw, pools, i) => {
      const org = pick(pools.writers, i);
      return raw.createRecord(org.orgId, recordBody(i), org.adminId);
    },
  },
];
