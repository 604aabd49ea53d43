import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { exportJWK, generateKeyPair } from 'jose';
import { inject } from 'vitest';

/**
 * Each test file gets its own master and tenant databases on the shared server, a fresh signing key
 * and a low bcrypt cost, set before any handler module is imported (handlers read config at load).
 */
const run = randomBytes(4).toString('hex');
process.env.NODE_ENV = 'test';
// The database project's global setup provides a server; the unit and infra projects have none, and
// get an address that cannot resolve, so a test that reached for a database would fail, not pass.
process.env.MONGODB_URI = inject('mongoUri') ?? 'mongodb://no-database.invalid/';
process.env.MASTER_DB_NAME = `t_${run}_master`;
process.env.TENANT_DB_NAME = `t_${run}_tenants`;
process.env.BCRYPT_COST = '4';
// Organizations are on a plan no test's load reaches (tests send requests far faster than people
// do, hundreds at once), with the stage plans beside it; the tests of limits set their own plans.
process.env.PLANS = JSON.stringify({
  free: { rateLimit: 5, burstLimit: 10, quotas: { records: 1_000, members: 5 } },
  standard: { rateLimit: 20, burstLimit: 40, quotas: { records: 100_000, members: 100 } },
  premium: { rateLimit: 100, burstLimit: 200, quotas: { records: 10_000_000, members: 10_000 } },
  unmetered: { rateLimit: 100_000, burstLimit: 200_000, quotas: { records: 100_000_000, members: 10_000 } },
});
process.env.DEFAULT_PLAN = 'unmetered';
// Email (sign-up verification links and the like) goes to a folder of this run's, not the repo's.
process.env.MAILBOX_DIR = process.env.MAILBOX_DIR ?? `${tmpdir()}/orgs-service-mailbox-${run}`;
process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
// Powertools writes through the global console (which tests can watch) and publishes no metrics
// unless a test turns them on (POWERTOOLS_METRICS_DISABLED=false).
process.env.POWERTOOLS_DEV = 'true';

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
const kid = `test-${run}`;
process.env.JWT_PRIVATE_KEY = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' });
process.env.JWT_PUBLIC_KEYS = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }] });
