import { rm } from 'node:fs/promises';
import { type CommandStartedEvent, type MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenGuard } from '#core/compose/guard.ts';
import { databaseConfig } from '#core/config.ts';
import { getMongoClient } from '#core/mongo/client.ts';
import { MASTER_COLLECTIONS } from '#core/mongo/collections.ts';
import { handler as login } from '../../functions/admin-login/handler.ts';
import { handler as logout } from '../../functions/admin-logout/handler.ts';
import { handler as logoutAll } from '../../functions/admin-logout-all/handler.ts';
import { handler as refresh } from '../../functions/admin-refresh/handler.ts';
import { createHandler as createAuthorizer } from '../../functions/authorizer/handler.ts';
import { handler as acceptInvitation } from '../../functions/invitations-accept/handler.ts';
import { handler as createInvitation } from '../../functions/invitations-create/handler.ts';
import { handler as listInvitations } from '../../functions/invitations-list/handler.ts';
import { handler as revokeInvitation } from '../../functions/invitations-revoke/handler.ts';
import { handler as changeEmail } from '../../functions/me-email/handler.ts';
import { handler as acceptInvitationAsUser } from '../../functions/me-invitations-accept/handler.ts';
import { handler as changePassword } from '../../functions/me-password/handler.ts';
import { handler as createOrg } from '../../functions/org-create/handler.ts';
import { handler as deleteOrg } from '../../functions/org-delete/handler.ts';
import { handler as getOrg } from '../../functions/org-get/handler.ts';
import { handler as updateOrg } from '../../functions/org-update/handler.ts';
import { handler as orgUsage } from '../../functions/org-usage/handler.ts';
import { handler as forgotPassword } from '../../functions/password-forgot/handler.ts';
import { handler as createRecord } from '../../functions/records-create/handler.ts';
import { handler as deleteRecord } from '../../functions/records-delete/handler.ts';
import { handler as getRecord } from '../../functions/records-get/handler.ts';
import { handler as listRecords } from '../../functions/records-list/handler.ts';
import { handler as patchRecord } from '../../functions/records-patch/handler.ts';
import { handler as replaceRecord } from '../../functions/records-replace/handler.ts';
import { handler as listRoles } from '../../functions/roles-list/handler.ts';
import { type AuthorizerContext, authorizeToken, createOrganization, logIn } from '../support/auth.ts';
import { commandsStarted } from '../support/commands.ts';
import { masterDb, useTestDatabase } from '../support/db.ts';
import { authorizerEvent, type EventOptions, invoke } from '../support/events.ts';
import { latestInvitationToken } from '../support/mailbox.ts';

/**
 * Round trips per route: the database commands one warm request makes, as the driver's command
 * monitoring reports them (`commandStarted`, as `<commandName> <collection>`), against the table
 * below. A route that makes more commands than its row says fails, and so does one that makes fewer
 * or other ones, so the table (and BENCHMARKS.md's "Round trips per route", which explains each
 * command) stays true.
 *
 * Warm: each measured request comes after an earlier request to the same handler module, which did
 * the container's first-request work (server discovery, the connection, the once-per-container
 * setup check `find setup`). Commands the driver sends on its own are left out explicitly
 * ({@link DRIVER_INTERNAL}): the handshake and monitoring (`hello`, `isMaster`), authentication
 * (`saslStart`, `saslContinue`) and session clean-up at close (`endSessions`). Every other command,
 * `getMore` and `killCursors` included, is a round trip of the service and is counted. Commands a
 * step starts together (`Promise.all`: the login throttle's two reads, logout's two revocations, the
 * authorizer's two look-ups) are started in the order the code lists them.
 *
 * Run it with `npx vitest run test/integration/round-trips.test.ts` (the embedded FerretDB, or the
 * server `MONGODB_URI` names).
 */

// Every client of this file reports the commands it starts; only the handlers' shared client is watched.
vi.hoisted(() => {
  const uri = process.env.MONGODB_URI ?? '';
  process.env.MONGODB_URI = `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
});

// Invitation email goes to this file's own mailbox folder, where the invitations rows read the secrets.
const MAILBOX = vi.hoisted(() => {
  process.env.MAILBOX_DIR = `${process.cwd()}/.local/test-mailbox-round-trips-${process.pid}`;
  return process.env.MAILBOX_DIR;
});

// One plan whose window (burstLimit / rateLimit s, about 28 hours) no test crosses: every measured
// request of an organization falls in the window its warm-up opened. `tiny` is for the rate limit's rows.
vi.hoisted(() => {
  const quotas = { records: 1_000_000, members: 10_000 };
  process.env.PLANS = JSON.stringify({
    measured: { rateLimit: 1, burstLimit: 100_000, quotas },
    tiny: { rateLimit: 1, burstLimit: 2, quotas },
  });
  process.env.DEFAULT_PLAN = 'measured';
});

useTestDatabase();

/** Sent by the driver itself, not by a service step: never counted. */
const DRIVER_INTERNAL = new Set(['hello', 'isMaster', 'ismaster', 'saslStart', 'saslContinue', 'endSessions']);

/**
 * Route (and variant) → the commands one warm request makes, in order. Collection mode (the
 * default placement), PLACEMENT_CACHE_SECONDS 5 (the default).
 */
const EXPECTED: Record<string, readonly string[]> = {
  'POST /org/create': [
    // the admin's email verification link: stored (hashed), queued and sent
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'findAndModify event_sequences',
    'insert events',
    'insert org_names',
    'insert organizations',
    'insert admins',
    'insert memberships',
    'create org_*',
    'createIndexes org_*',
    'findAndModify organizations',
    'update events',
    'insert account_tokens',
    'insert outbox',
    'update outbox',
  ],
  'GET /org/get': ['find organizations'],
  'PUT /org/update: rename': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'update org_usage',
    'find organizations',
    'insert org_locks',
    'find organizations',
    'insert org_names',
    'listCollections tenants',
    'find events',
    'findAndModify event_sequences',
    'insert events',
    'findAndModify organizations',
    'listCollections tenants',
    'renameCollection org_*',
    'findAndModify organizations',
    'update events',
    'drop org_*',
    'delete org_names',
    'delete org_locks',
    'update organizations', // the owed cleanup paid: its record removed once the lock is released
  ],
  'POST /me/email': [
    'update org_usage',
    'find admins',
    'find login_failures', // the lockout, per email and per source
    'find login_failures',
    'find admins', // the new address is free
    'insert login_failures', // the limit on verification emails, per address and per source: counted, then checked
    'insert login_failures',
    'find login_failures',
    'find login_failures',
    'update admins', // pending_email
    'insert account_tokens',
    'insert outbox', // the link to the new address ...
    'update outbox',
    'insert outbox', // ... and the notice to the current one
    'update outbox',
  ],
  'PUT /me/password': [
    'update org_usage',
    'find admins',
    'find login_failures',
    'find login_failures',
    'find memberships', // the user's organizations, whose audit logs get password.changed
    'findAndModify event_sequences', // per organization: the event begun pending ...
    'insert events',
    'update admins',
    'update events', // ... and committed once the password is changed
  ],
  'POST /password/forgot': [
    'insert login_failures', // the limit on reset emails, per address and per source: counted, then checked
    'insert login_failures',
    'find login_failures',
    'find login_failures',
    'find admins',
    'insert account_tokens', // the same writes whether or not an account uses the address
    'insert outbox',
    'update outbox',
  ],
  'DELETE /org/delete': [
    // an archive: one conditional update under the operation lock, with its event begun and committed
    'update org_usage',
    'find organizations',
    'insert org_locks',
    'find events',
    'findAndModify event_sequences',
    'insert events',
    'findAndModify organizations',
    'update events',
    'delete org_locks',
  ],
  'POST /admin/login': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'find login_failures',
    'find login_failures',
    'find admins',
    'find memberships',
    'find organizations',
    'insert refresh_tokens',
    'find admins',
    'findAndModify event_sequences',
    'insert events',
  ],
  'POST /admin/refresh': [
    'find refresh_tokens',
    'find revocations',
    'insert refresh_token_uses',
    'find admins',
    'find memberships',
    'find organizations',
    'insert refresh_tokens',
  ],
  'POST /admin/logout': ['update org_usage', 'update revocations', 'update revocations'],
  'POST /admin/logout-all': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'update org_usage',
    'find admins',
    'findAndModify event_sequences',
    'insert events',
    'update admins',
    'update events',
  ],
  'POST /org/records': ['update org_usage', 'update org_meters', 'find organizations', 'insert org_*', 'find organizations'],
  'GET /org/records (placement not cached)': ['update org_usage', 'find organizations', 'find org_*', 'find organizations'],
  'GET /org/records (placement cached)': ['update org_usage', 'find org_*', 'find organizations'],
  'GET /org/records/{id} (placement not cached)': ['update org_usage', 'find organizations', 'find org_*', 'find organizations'],
  'GET /org/records/{id} (placement cached)': ['update org_usage', 'find org_*', 'find organizations'],
  'PUT /org/records/{id}': ['update org_usage', 'find organizations', 'findAndModify org_*', 'find organizations'],
  'PATCH /org/records/{id}': [
    'update org_usage',
    'find organizations',
    'find org_*',
    'findAndModify org_*',
    'find organizations',
  ],
  'DELETE /org/records/{id}': [
    'update org_usage',
    'find organizations',
    'delete org_*',
    'find organizations',
    'update org_meters',
  ],
  'POST /org/invitations': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'update org_usage',
    'find admins',
    'find admins',
    'find organizations',
    'aggregate memberships',
    'findAndModify event_sequences',
    'insert events',
    'insert invitations',
    'update events',
    'insert outbox',
    'update outbox',
  ],
  'GET /org/invitations': ['update org_usage', 'find invitations'],
  'DELETE /org/invitations/{invitation_id}': [
    'update org_usage',
    'find invitations',
    'insert invitation_outcomes',
    'update invitations',
  ],
  'POST /invitations/accept: new user': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'find invitations',
    'find organizations',
    'find admins',
    'aggregate memberships',
    'findAndModify event_sequences',
    'insert events',
    'insert invitation_outcomes',
    'insert admins',
    'insert memberships',
    'update events',
    'update invitations',
    'find memberships',
    'find organizations',
    'insert refresh_tokens',
  ],
  'POST /invitations/accept: existing user': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'find invitations',
    'find organizations',
    'find admins',
    'find login_failures',
    'find login_failures',
    'delete login_failures',
    'find memberships',
    'aggregate memberships',
    'findAndModify event_sequences',
    'insert events',
    'insert invitation_outcomes',
    'insert memberships',
    'update events',
    'update invitations',
    'update admins',
    'find memberships',
    'find organizations',
    'insert refresh_tokens',
  ],
  'POST /me/invitations/accept': [
    // the event log: the sequence number, the event, its commit (see #core/events/log.ts)
    'update org_usage',
    'find invitations',
    'find organizations',
    'find admins',
    'find memberships',
    'aggregate memberships',
    'findAndModify event_sequences',
    'insert events',
    'insert invitation_outcomes',
    'insert memberships',
    'update events',
    'update invitations',
    'update admins',
  ],
  'GET /org/usage': ['update org_usage', 'find org_usage', 'find org_meters', 'aggregate memberships'],
  'rate limit: the first request of an organization in a container and day': [
    'find organizations',
    'update org_usage',
    'update org_usage',
    'find roles',
  ],
  'rate limit: the first request of a window': ['update org_usage', 'update org_usage', 'find roles'],
  'rate limit: refused, the first time this container sees the window full': [
    'update org_usage',
    'update org_usage',
    'update org_usage',
    'update org_usage',
  ],
  'rate limit: refused, the window known full': ['update org_usage'],
  'authorizer (cache off)': ['find admins', 'find memberships', 'find revocations', 'find organizations'],
  'authorizer (cache on, token not seen)': ['find admins', 'find memberships', 'find revocations', 'find organizations'],
  'authorizer (cache on, same token within the cache time)': [],
  'authorizer (cache on, new token of an admin seen within the cache time)': ['find revocations'],
};

let client: MongoClient;

/**
 * What a command acts on: its collection, with an organization's place written `org_*` (its name
 * has a random suffix) and a rename's `db.collection` source cut to the collection; a command on a
 * database as a whole (`listCollections`, `dropDatabase`) names the database, `master` or `tenants`.
 */
function target(event: CommandStartedEvent): string {
  const value = event.command[event.commandName];
  const name =
    typeof value === 'string'
      ? value.slice(value.indexOf('.') + 1)
      : event.databaseName === process.env.MASTER_DB_NAME
        ? 'master'
        : event.databaseName === process.env.TENANT_DB_NAME
          ? 'tenants'
          : event.databaseName;
  return name.replace(/^org_[a-z0-9_]*_[0-9a-f]{10}$/, 'org_*');
}

/** The commands `run` starts on the handlers' client, driver-internal ones left out. */
const commandsOf = (run: () => Promise<unknown>) =>
  commandsStarted(client, run, (event) =>
    DRIVER_INTERNAL.has(event.commandName) ? undefined : `${event.commandName} ${target(event)}`,
  );

/** Asserts that `commands` are the row's: as many, the same, in the same order. */
function expectRow(row: string, commands: string[]): void {
  if (process.env.PRINT_ROUND_TRIPS) console.log(`ROW ${row} ${JSON.stringify(commands)}`);
  const expected = EXPECTED[row];
  expect(expected, `no row "${row}" in the table; measured: ${JSON.stringify(commands)}`).toBeDefined();
  expect(commands.length, `${row}: ${commands.length} commands, the table says ${expected?.length}`).toBe(expected?.length);
  expect(commands, row).toEqual(expected);
}

const password = 'round trip password';
let seq = 0;

interface Admin {
  readonly name: string;
  readonly email: string;
  readonly tokens: { access_token: string; refresh_token: string; organization_id: string };
  readonly caller: AuthorizerContext;
}

/**
 * A new organization, its admin signed in, and the authorizer's context for its token; unless `warm`
 * is false, after the organization's first request (see below).
 */
async function newAdmin(warm = true): Promise<Admin> {
  seq += 1;
  const name = `Round Trips ${seq}`;
  const email = `admin${seq}@round-trips.example`;
  await createOrganization(name, email, password);
  const tokens = await logIn(email, password);
  const caller = await authorizeToken(tokens.access_token);
  if (!caller) throw new Error('the new admin was not authorized');
  // The organization's first request of the day in this container: it reads the plan and opens the
  // day's usage document (the rate limit's rows below measure that), so measured requests are warm.
  if (warm) await call(orgUsage, { method: 'GET', path: '/org/usage', caller: caller as unknown as EventOptions['caller'] }, 200);
  return { name, email, tokens, caller };
}

async function call(handler: unknown, options: EventOptions, status: number) {
  const answer = await invoke(handler, options);
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer;
}

const callerOf = (admin: Admin) => admin.caller as unknown as EventOptions['caller'];

/**
 * Runs `request` for a first admin (the warm-up: the handler module's first request) and measures
 * it for a second one, each prepared by `prepare` outside the measurement.
 */
async function warmThenMeasure<T>(prepare: () => Promise<T>, request: (subject: T) => Promise<unknown>): Promise<string[]> {
  await request(await prepare());
  const subject = await prepare();
  return commandsOf(() => request(subject));
}

beforeAll(async () => {
  client = await getMongoClient(databaseConfig());
});

describe('Round trips per route (warm requests, collection mode)', () => {
  it('POST /org/create', async () => {
    const commands = await warmThenMeasure(
      async () => {
        seq += 1;
        return seq;
      },
      (n) =>
        call(
          createOrg,
          {
            method: 'POST',
            path: '/org/create',
            body: { organization_name: `Created ${n}`, email: `created${n}@round-trips.example`, password },
          },
          201,
        ),
    );
    expectRow('POST /org/create', commands);
  });

  it('GET /org/get', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(getOrg, { method: 'GET', path: '/org/get', query: { organization_name: a.name } }, 200),
    );
    expectRow('GET /org/get', commands);
  });

  it('PUT /org/update: rename', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(
        updateOrg,
        {
          method: 'PUT',
          path: '/org/update',
          body: { organization_name: a.name, new_organization_name: `${a.name} Renamed` },
          caller: callerOf(a),
        },
        200,
      ),
    );
    expectRow('PUT /org/update: rename', commands);
  });

  it('POST /me/email', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(
        changeEmail,
        { method: 'POST', path: '/me/email', body: { email: `new.${a.email}`, password }, caller: callerOf(a) },
        202,
      ),
    );
    expectRow('POST /me/email', commands);
  });

  it('PUT /me/password', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(
        changePassword,
        {
          method: 'PUT',
          path: '/me/password',
          body: { current_password: password, new_password: 'another long secret' },
          caller: callerOf(a),
        },
        204,
      ),
    );
    expectRow('PUT /me/password', commands);
  });

  it('POST /password/forgot', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(forgotPassword, { method: 'POST', path: '/password/forgot', body: { email: a.email } }, 202),
    );
    expectRow('POST /password/forgot', commands);
  });

  it('DELETE /org/delete', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(deleteOrg, { method: 'DELETE', path: '/org/delete', query: { organization_name: a.name }, caller: callerOf(a) }, 202),
    );
    expectRow('DELETE /org/delete', commands);
  });

  it('POST /admin/login', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(login, { method: 'POST', path: '/admin/login', body: { email: a.email, password } }, 200),
    );
    expectRow('POST /admin/login', commands);
  });

  it('POST /admin/refresh', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(refresh, { method: 'POST', path: '/admin/refresh', body: { refresh_token: a.tokens.refresh_token } }, 200),
    );
    expectRow('POST /admin/refresh', commands);
  });

  it('POST /admin/logout', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(logout, { method: 'POST', path: '/admin/logout', caller: callerOf(a) }, 204),
    );
    expectRow('POST /admin/logout', commands);
  });

  it('POST /admin/logout-all', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(logoutAll, { method: 'POST', path: '/admin/logout-all', caller: callerOf(a) }, 204),
    );
    expectRow('POST /admin/logout-all', commands);
  });
});

describe('Round trips per records route (warm requests, collection mode)', () => {
  /** An admin with one record, made through the create handler. */
  async function withRecord() {
    const admin = await newAdmin();
    const created = await call(
      createRecord,
      { method: 'POST', path: '/org/records', body: { title: 'first', n: 1 }, caller: callerOf(admin) },
      201,
    );
    return { admin, id: created.body.id as string };
  }

  const recordPath = (id: string) => `/org/records/${id}`;

  it('POST /org/records', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(createRecord, { method: 'POST', path: '/org/records', body: { title: 'a record' }, caller: callerOf(a) }, 201),
    );
    expectRow('POST /org/records', commands);
  });

  // Reads use the container's cached placement (PLACEMENT_CACHE_SECONDS): measured once for an
  // organization this container has not read for yet, and once right after a request for it.
  for (const cached of [false, true]) {
    const variant = cached ? 'placement cached' : 'placement not cached';

    it(`GET /org/records (${variant})`, async () => {
      const list = (a: Admin) => call(listRecords, { method: 'GET', path: '/org/records', query: {}, caller: callerOf(a) }, 200);
      const commands = await warmThenMeasure(async () => {
        const { admin } = await withRecord();
        if (cached) await list(admin);
        return admin;
      }, list);
      expectRow(`GET /org/records (${variant})`, commands);
    });

    it(`GET /org/records/{id} (${variant})`, async () => {
      const get = ({ admin, id }: { admin: Admin; id: string }) =>
        call(getRecord, { method: 'GET', path: recordPath(id), params: { id }, caller: callerOf(admin) }, 200);
      const commands = await warmThenMeasure(async () => {
        const subject = await withRecord();
        if (cached) await get(subject);
        return subject;
      }, get);
      expectRow(`GET /org/records/{id} (${variant})`, commands);
    });
  }

  it('PUT /org/records/{id}', async () => {
    const commands = await warmThenMeasure(withRecord, ({ admin, id }) =>
      call(
        replaceRecord,
        { method: 'PUT', path: recordPath(id), params: { id }, body: { title: 'replaced' }, caller: callerOf(admin) },
        200,
      ),
    );
    expectRow('PUT /org/records/{id}', commands);
  });

  it('PATCH /org/records/{id}', async () => {
    const commands = await warmThenMeasure(withRecord, ({ admin, id }) =>
      call(
        patchRecord,
        { method: 'PATCH', path: recordPath(id), params: { id }, body: { title: 'patched', n: null }, caller: callerOf(admin) },
        200,
      ),
    );
    expectRow('PATCH /org/records/{id}', commands);
  });

  it('DELETE /org/records/{id}', async () => {
    const commands = await warmThenMeasure(withRecord, ({ admin, id }) =>
      call(deleteRecord, { method: 'DELETE', path: recordPath(id), params: { id }, caller: callerOf(admin) }, 204),
    );
    expectRow('DELETE /org/records/{id}', commands);
  });
});

describe('Round trips per invitations route (warm requests)', () => {
  let invited = 0;
  const invite = async (a: Admin, email?: string) => {
    invited += 1;
    const to = email ?? `invitee${invited}@round-trips.example`;
    const answer = await call(
      createInvitation,
      { method: 'POST', path: '/org/invitations', body: { email: to, role: 'member' }, caller: callerOf(a) },
      201,
    );
    return { id: answer.body.invitation_id as string, email: to, token: await latestInvitationToken(MAILBOX, to) };
  };

  it('POST /org/invitations', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) => invite(a));
    expectRow('POST /org/invitations', commands);
  });

  it('GET /org/invitations', async () => {
    const commands = await warmThenMeasure(
      async () => {
        const admin = await newAdmin();
        await invite(admin);
        return admin;
      },
      (a) => call(listInvitations, { method: 'GET', path: '/org/invitations', query: {}, caller: callerOf(a) }, 200),
    );
    expectRow('GET /org/invitations', commands);
  });

  it('DELETE /org/invitations/{invitation_id}', async () => {
    const commands = await warmThenMeasure(
      async () => {
        const admin = await newAdmin();
        return { admin, invitation: await invite(admin) };
      },
      ({ admin, invitation }) =>
        call(
          revokeInvitation,
          {
            method: 'DELETE',
            path: `/org/invitations/${invitation.id}`,
            params: { invitation_id: invitation.id },
            caller: callerOf(admin),
          },
          204,
        ),
    );
    expectRow('DELETE /org/invitations/{invitation_id}', commands);
  });

  it('POST /invitations/accept: new user', async () => {
    const commands = await warmThenMeasure(
      async () => invite(await newAdmin()),
      (invitation) =>
        call(
          acceptInvitation,
          { method: 'POST', path: '/invitations/accept', body: { token: invitation.token, password: 'invitee password' } },
          200,
        ),
    );
    expectRow('POST /invitations/accept: new user', commands);
  });

  it('POST /invitations/accept: existing user', async () => {
    const commands = await warmThenMeasure(
      async () => {
        const [host, guest] = [await newAdmin(), await newAdmin()];
        return invite(host, guest.email);
      },
      (invitation) =>
        call(acceptInvitation, { method: 'POST', path: '/invitations/accept', body: { token: invitation.token, password } }, 200),
    );
    expectRow('POST /invitations/accept: existing user', commands);
  });

  it('POST /me/invitations/accept', async () => {
    const commands = await warmThenMeasure(
      async () => {
        const [host, guest] = [await newAdmin(), await newAdmin()];
        return { guest, invitation: await invite(host, guest.email) };
      },
      ({ guest, invitation }) =>
        call(
          acceptInvitationAsUser,
          { method: 'POST', path: '/me/invitations/accept', body: { token: invitation.token }, caller: callerOf(guest) },
          200,
        ),
    );
    expectRow('POST /me/invitations/accept', commands);
  });
});

describe('Round trips of the rate limit (GET /org/roles, on a plan of 2 requests per 2 s window)', () => {
  const roles = (a: Admin, status: number) => call(listRoles, { method: 'GET', path: '/org/roles', caller: callerOf(a) }, status);
  const windowStart = () => new Promise((resolve) => setTimeout(resolve, 2_000 - (Date.now() % 2_000) + 20));

  it('GET /org/usage', async () => {
    const commands = await warmThenMeasure(newAdmin, (a) =>
      call(orgUsage, { method: 'GET', path: '/org/usage', caller: callerOf(a) }, 200),
    );
    expectRow('GET /org/usage', commands);
  });

  it('costs one round trip per admitted request, more at the start of a day or window and on the first refusal', async () => {
    await roles(await newAdmin(), 200); // the handler module's first request
    const admin = await newAdmin(false);
    await masterDb()
      .collection(MASTER_COLLECTIONS.organizations)
      .updateOne({ _id: new ObjectId(admin.caller.orgId) }, { $set: { plan: 'tiny' } });
    await windowStart();
    expectRow(
      'rate limit: the first request of an organization in a container and day',
      await commandsOf(() => roles(admin, 200)),
    );
    await roles(admin, 200);
    expectRow(
      'rate limit: refused, the first time this container sees the window full',
      await commandsOf(() => roles(admin, 429)),
    );
    expectRow('rate limit: refused, the window known full', await commandsOf(() => roles(admin, 429)));
    await windowStart();
    expectRow('rate limit: the first request of a window', await commandsOf(() => roles(admin, 200)));
  });
});

describe('Round trips of the authorizer (warm, per token check)', () => {
  /** An authorizer whose revocation cache lasts `seconds` (REVOCATION_CACHE_SECONDS, read when it is made). */
  function authorizerWithCache(seconds: number) {
    vi.stubEnv('REVOCATION_CACHE_SECONDS', String(seconds));
    try {
      return createAuthorizer(tokenGuard());
    } finally {
      vi.unstubAllEnvs();
    }
  }

  async function allowed(authorize: ReturnType<typeof createAuthorizer>, token: string) {
    const result = await authorize(authorizerEvent(`Bearer ${token}`));
    expect(result.isAuthorized).toBe(true);
  }

  it('authorizer, revocation cache off (REVOCATION_CACHE_SECONDS=0)', async () => {
    const authorize = authorizerWithCache(0);
    let admin: Admin | undefined;
    const commands = await warmThenMeasure(
      async () => {
        admin = await newAdmin();
        return admin;
      },
      (a) => allowed(authorize, a.tokens.access_token),
    );
    // With no cache, the same token checked again costs the same.
    const token = admin?.tokens.access_token ?? '';
    expect(await commandsOf(() => allowed(authorize, token))).toEqual(commands);
    expectRow('authorizer (cache off)', commands);
  });

  it('authorizer, revocation cache on (5 s): a token not seen before, the same token again, a new token of that admin', async () => {
    const authorize = authorizerWithCache(5);
    let admin: Admin | undefined;
    const first = await warmThenMeasure(
      async () => {
        admin = await newAdmin();
        return admin;
      },
      (a) => allowed(authorize, a.tokens.access_token),
    );
    expectRow('authorizer (cache on, token not seen)', first);
    const token = admin?.tokens.access_token ?? '';
    const repeat = await commandsOf(() => allowed(authorize, token));
    expectRow('authorizer (cache on, same token within the cache time)', repeat);
    // A new token of the same admin (a new login): the admin's token version is cached, the token is not.
    const next = await logIn(admin?.email ?? '', password);
    const sameAdmin = await commandsOf(() => allowed(authorize, next.access_token));
    expectRow('authorizer (cache on, new token of an admin seen within the cache time)', sameAdmin);
  });
});

afterAll(async () => {
  await rm(MAILBOX, { recursive: true, force: true });
});
