import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_INDEXES } from '#core/mongo/indexes.ts';
import { runBundle } from '../../bin/cold-start/run-bundle.ts';
import { type SecretsStandIn, startSecretsStandIn } from '../../bin/cold-start/secrets-stand-in.ts';
import { BUNDLE_SECRET_ARNS, type Bundle, bundleFunctions } from '../../lib/bundles.ts';
import { AUTHORIZER_FUNCTION, authorizer, databaseSetup, jobWorker, routes, scheduledFunctions } from '../../lib/routes.ts';
import { closeClientsAfterAll, masterDb } from '../support/db.ts';
import { authorizerEvent, type EventOptions, httpEvent } from '../support/events.ts';

/**
 * Every function bundled as the stack bundles it, then each bundle imported and invoked in a fresh
 * Node process with the environment the stack gives it, reading its secrets from a local Secrets
 * Manager and its data from this file's test databases. ESM/CommonJS mix-ups, modules missing from a
 * bundle and configuration the stack forgot all fail here instead of after a deploy.
 */

closeClientsAfterAll();

let outdir: string;
let bundles: Map<string, Bundle>;
let secrets: SecretsStandIn;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'orgs-bundles-'));
  bundles = new Map(bundleFunctions(outdir).map((b) => [b.function, b]));
  secrets = await startSecretsStandIn({
    [BUNDLE_SECRET_ARNS.databaseUriArn]: process.env.MONGODB_URI!,
    [BUNDLE_SECRET_ARNS.signingKeyArn]: process.env.JWT_PRIVATE_KEY!,
    [BUNDLE_SECRET_ARNS.verificationKeysArn]: process.env.JWT_PUBLIC_KEYS!,
  });
}, 240_000); // bundles every function (30)

afterAll(async () => {
  await secrets?.close();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

interface Invocation {
  readonly result: any;
  readonly node: string;
  /** Secret ids the process read. */
  readonly secretsRead: string[];
}

/** Invokes one bundle in a fresh Node process, as Lambda would, and returns what its handler returned. */
async function invokeBundle(name: string, event: unknown, overrides: Record<string, string> = {}): Promise<Invocation> {
  const bundle = bundles.get(name);
  if (!bundle) throw new Error(`no bundle for ${name}`);
  secrets.requested.length = 0;
  const env = {
    PATH: process.env.PATH,
    ...bundle.environment,
    // This file's databases instead of the stage's, on the test server the secret points to.
    ...('MASTER_DB_NAME' in bundle.environment
      ? { MASTER_DB_NAME: process.env.MASTER_DB_NAME, TENANT_DB_NAME: process.env.TENANT_DB_NAME }
      : {}),
    LOG_LEVEL: 'warn',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bundle-test',
    AWS_SECRET_ACCESS_KEY: 'bundle-test',
    // Deployed functions read secrets through the extension on this port; the stand-in answers there.
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(secrets.port),
    AWS_SESSION_TOKEN: 'bundle-test',
    AWS_CONFIG_FILE: join(outdir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(outdir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...overrides,
  };
  const { answer } = await runBundle(name, bundle.file, env, event);
  return { ...(answer as Omit<Invocation, 'secretsRead'>), secretsRead: [...secrets.requested] };
}

const http = (name: string, options: EventOptions) => invokeBundle(name, httpEvent(options));
const body = (invocation: Invocation) => JSON.parse(invocation.result.body);

describe('Bundles', () => {
  let token = '';
  let caller: { userId: string; orgId: string } | undefined;

  it('exist for every route function, the authorizer, the scheduled functions and the database setup', () => {
    expect([...bundles.keys()].sort()).toEqual(
      [...new Set([authorizer, ...routes, ...scheduledFunctions, jobWorker, databaseSetup].map((s) => s.function))].sort(),
    );
    for (const bundle of bundles.values()) expect(bundle.bytes).toBeGreaterThan(0);
  });

  it('carry no AWS SDK: secrets come through the secrets extension', () => {
    for (const bundle of bundles.values()) {
      const text = readFileSync(bundle.file, 'utf8');
      expect(text.includes('SecretsManagerClient'), bundle.function).toBe(false);
      expect(text.includes('@smithy'), bundle.function).toBe(false);
    }
  });

  it('keep the MongoDB driver out of the functions that never use it', () => {
    expect(readFileSync(bundles.get('openapi')!.file, 'utf8')).not.toContain('MongoClient');
    expect(readFileSync(bundles.get('org-get')!.file, 'utf8')).toContain('MongoClient');
  });

  it('carry zod/mini with only the schemas they use, never classic zod', () => {
    for (const bundle of bundles.values()) {
      const text = readFileSync(bundle.file, 'utf8');
      // Classic zod's schema classes; `import { z } from 'zod/mini'` (not a namespace import) keeps every
      // mini schema, such as ZodMiniIPv6, which no contract uses (see functions/core/zod.ts).
      expect(text.includes('"ZodString"'), bundle.function).toBe(false);
      expect(text.includes('"ZodMiniIPv6"'), bundle.function).toBe(false);
    }
    expect(readFileSync(bundles.get('org-create')!.file, 'utf8')).toContain('"ZodMiniString"');
  });

  it('db-setup creates every master index, as the deploy runs it, reading only the database secret', async () => {
    const setup = await invokeBundle(databaseSetup.function, {});

    expect(setup.node.split('.')[0]).toBe('24');
    expect(setup.result).toMatchObject({ status: 'done', database: process.env.MASTER_DB_NAME });
    const { created, unsupported } = setup.result as { created: string[]; unsupported: string[] };
    expect([...created, ...unsupported].sort()).toEqual(MASTER_INDEXES.map((i) => `${i.collection}.${i.options.name}`).sort());
    expect(setup.secretsRead).toEqual([BUNDLE_SECRET_ARNS.databaseUriArn]);
  });

  it('db-setup succeeds without doing anything while the database secret holds no value (the first deploy)', async () => {
    const unfilled = BUNDLE_SECRET_ARNS.databaseUriArn.replace('mongodb-uri', 'mongodb-uri-unfilled');
    const setup = await invokeBundle(databaseSetup.function, {}, { MONGODB_SECRET_ID: unfilled });

    expect(setup.result).toEqual({ status: 'skipped', reason: expect.stringContaining('no connection string') });
    expect(setup.secretsRead).toEqual([unfilled]);
  });

  it('org-create creates an organization on Node 24, reading only the database secret', async () => {
    const created = await http('org-create', {
      method: 'POST',
      path: '/org/create',
      body: { organization_name: 'Bundle Corp', email: 'bundle@corp.example', password: 'bundle password' },
    });

    expect(created.node.split('.')[0]).toBe('24');
    expect(created.result.statusCode).toBe(201);
    expect(body(created)).toMatchObject({
      organization_name: 'Bundle Corp',
      collection_name: expect.stringMatching(/^org_bundle_corp_[0-9a-f]{10}$/),
    });
    expect(created.secretsRead).toEqual([BUNDLE_SECRET_ARNS.databaseUriArn]);
    expect(await masterDb().collection('organizations').countDocuments({ slug: 'bundle_corp' })).toBe(1);
  });

  it('org-get reads it back', async () => {
    const got = await http('org-get', { method: 'GET', path: '/org/get', query: { organization_name: 'bundle corp' } });

    expect(got.result.statusCode).toBe(200);
    expect(body(got)).toMatchObject({ organization_name: 'Bundle Corp' });
  });

  it('admin-login signs a token with the private key from its secret', async () => {
    const login = await http('admin-login', {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'bundle@corp.example', password: 'bundle password' },
    });

    expect(login.result.statusCode).toBe(200);
    token = body(login).access_token;
    expect(token.split('.')).toHaveLength(3);
    expect(login.secretsRead.sort()).toEqual([BUNDLE_SECRET_ARNS.databaseUriArn, BUNDLE_SECRET_ARNS.signingKeyArn].sort());
  });

  it('the authorizer accepts that token with the public keys, checking revocation in the database', async () => {
    const decision = await invokeBundle(AUTHORIZER_FUNCTION, authorizerEvent(`Bearer ${token}`));

    expect(decision.result).toMatchObject({
      isAuthorized: true,
      context: { userId: expect.any(String), orgId: expect.any(String) },
    });
    expect(decision.secretsRead.sort()).toEqual(
      [BUNDLE_SECRET_ARNS.databaseUriArn, BUNDLE_SECRET_ARNS.verificationKeysArn].sort(),
    );
    caller = decision.result.context;
  });

  it('admin-refresh swaps the refresh token, reading the database and the signing key', async () => {
    const login = await http('admin-login', {
      method: 'POST',
      path: '/admin/login',
      body: { email: 'bundle@corp.example', password: 'bundle password' },
    });
    const refreshed = await http('admin-refresh', {
      method: 'POST',
      path: '/admin/refresh',
      body: { refresh_token: body(login).refresh_token },
    });

    expect(refreshed.result.statusCode).toBe(200);
    expect(refreshed.secretsRead.sort()).toEqual([BUNDLE_SECRET_ARNS.databaseUriArn, BUNDLE_SECRET_ARNS.signingKeyArn].sort());
  });

  it('admin-logout and admin-logout-all end sessions with the database secret only', async () => {
    for (const name of ['admin-logout', 'admin-logout-all']) {
      const out = await http(name, { method: 'POST', path: `/${name.replace('-', '/')}`, caller });
      expect(out.result.statusCode, name).toBe(204);
      expect(out.secretsRead, name).toEqual([BUNDLE_SECRET_ARNS.databaseUriArn]);
    }
  });

  it('openapi serves the document without any secret', async () => {
    const doc = await http('openapi', { method: 'GET', path: '/openapi.json' });

    expect(doc.result.statusCode).toBe(200);
    expect(body(doc).openapi).toBe('3.1.0');
    expect(doc.secretsRead).toEqual([]);
  });

  it('the reconciler runs on its scheduled event', async () => {
    const run = await invokeBundle('reconciler', { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });

    expect(run.result).toMatchObject({ settled: 0, namesFreed: 0 });
  });

  it('org-update renames the organization for the authorized caller', async () => {
    const renamed = await http('org-update', {
      method: 'PUT',
      path: '/org/update',
      body: { organization_name: 'Bundle Corp', new_organization_name: 'Bundle Global' },
      caller,
    });

    expect(renamed.result.statusCode).toBe(200);
    expect(body(renamed)).toMatchObject({
      organization_name: 'Bundle Global',
      collection_name: expect.stringMatching(/^org_bundle_global_[0-9a-f]{10}$/),
    });
  });

  it('org-delete deletes it', async () => {
    const deleted = await http('org-delete', {
      method: 'DELETE',
      path: '/org/delete',
      query: { organization_name: 'Bundle Global' },
      caller,
    });

    expect(deleted.result.statusCode).toBe(200);
    expect(await masterDb().collection('organizations').countDocuments()).toBe(0);
  });
});
