import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { PLACEMENT_MODES, type PlacementMode } from './orgs/model.ts';
import { TENANT_DB_NAME_MAX } from './tenancy/limits.ts';

/**
 * Configuration, read from the environment once per container and checked with zod. Each concern
 * parses only what it needs, so the authorizer does not require database settings.
 */

const dbName = z.string().regex(/^[a-zA-Z0-9_-]{1,63}$/, 'must match ^[a-zA-Z0-9_-]{1,63}$');

const DatabaseEnv = z
  .object({
    MONGODB_URI: z.string().min(1).optional(),
    MONGODB_SECRET_ID: z.string().min(1).optional(),
    MASTER_DB_NAME: dbName.default('orgs_master'),
    TENANT_DB_NAME: dbName
      .max(
        TENANT_DB_NAME_MAX,
        `must be at most ${TENANT_DB_NAME_MAX} characters (organizations' own databases are named <TENANT_DB_NAME>_<org id>)`,
      )
      .default('orgs_tenants'),
    MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
    /**
     * The longest a request waits on a database that does not answer before it answers 503:
     * choosing a server, connecting, waiting for a pooled connection, and silence during a call.
     */
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(25_000).default(5_000),
  })
  .refine((env) => env.MONGODB_URI !== undefined || env.MONGODB_SECRET_ID !== undefined, {
    message: 'set MONGODB_URI (local runs) or MONGODB_SECRET_ID (the Secrets Manager secret holding the URI)',
    path: ['MONGODB_URI'],
  });

const OrgsEnv = z
  .object({
    NODE_ENV: z.string().optional(),
    BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
    /** How long a create, rename or delete may run before another request may finish or undo it. */
    OPERATION_LEASE_SECONDS: z.coerce.number().int().min(1).max(3_600).default(120),
  })
  .refine((env) => env.NODE_ENV === 'test' || env.BCRYPT_COST >= 10, {
    message: 'must be at least 10 outside tests',
    path: ['BCRYPT_COST'],
  });

const PlacementEnv = z.object({
  /** Where new organizations' data goes: `collection` (org_<slug> in TENANT_DB_NAME) or `database` (their own). */
  PLACEMENT_MODE: z.enum(PLACEMENT_MODES as [PlacementMode, ...PlacementMode[]]).default('collection'),
  /** How long a container may reuse an organization's placement before reading it again. */
  PLACEMENT_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
});

const TokenEnv = z.object({
  JWT_ISSUER: z.string().min(1).default('orgs-service'),
  JWT_AUDIENCE: z.string().min(1).default('orgs-api'),
});

const VerifierEnv = TokenEnv.extend({
  /** JSON Web Key Set (`{"keys":[...]}`) of the public keys tokens may be signed with... */
  JWT_PUBLIC_KEYS: z.string().min(1).optional(),
  /** ...or the Secrets Manager secret holding that set (AWS). */
  JWT_PUBLIC_KEYS_SECRET_ID: z.string().min(1).optional(),
}).refine((env) => env.JWT_PUBLIC_KEYS !== undefined || env.JWT_PUBLIC_KEYS_SECRET_ID !== undefined, {
  message: 'set JWT_PUBLIC_KEYS (a JWK Set) or JWT_PUBLIC_KEYS_SECRET_ID',
  path: ['JWT_PUBLIC_KEYS'],
});

const SignerEnv = TokenEnv.extend({
  /** The private signing key as a JWK (JSON) with `kid` and `alg`... */
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  /** ...or the Secrets Manager secret holding it (AWS). */
  JWT_PRIVATE_KEY_SECRET_ID: z.string().min(1).optional(),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(1_800),
}).refine((env) => env.JWT_PRIVATE_KEY !== undefined || env.JWT_PRIVATE_KEY_SECRET_ID !== undefined, {
  message: 'set JWT_PRIVATE_KEY (a private JWK) or JWT_PRIVATE_KEY_SECRET_ID',
  path: ['JWT_PRIVATE_KEY'],
});

/** A value given inline (local runs) or kept in Secrets Manager (AWS). */
export interface SecretSource {
  readonly value?: string;
  readonly secretId?: string;
}

const SessionEnv = z.object({
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(14 * 86_400),
  LOGIN_MAX_FAILURES_PER_EMAIL: z.coerce.number().int().min(1).max(1_000).default(10),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(100),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
});

const GuardEnv = z.object({
  /** How long the authorizer trusts its last revocation look-up for a token (per container). */
  REVOCATION_CACHE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /** How often verifiers and signers re-read their keys, so rotations reach running containers. */
  JWT_KEYS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(300),
});

type Env = Record<string, string | undefined>;

function parse<T extends z.ZodType>(schema: T, env: Env, what: string): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`Invalid ${what} configuration:\n${lines.join('\n')}`);
}

export interface DatabaseConfig {
  readonly uri?: string;
  readonly secretId?: string;
  readonly masterDb: string;
  readonly tenantDb: string;
  readonly maxPoolSize: number;
  /** The bound on every wait for an unreachable database, in ms (see `MONGODB_SERVER_SELECTION_TIMEOUT_MS`). */
  readonly serverSelectionTimeoutMS: number;
}

export function databaseConfig(env: Env = process.env): DatabaseConfig {
  const e = parse(DatabaseEnv, env, 'database');
  return {
    uri: e.MONGODB_URI,
    secretId: e.MONGODB_SECRET_ID,
    masterDb: e.MASTER_DB_NAME,
    tenantDb: e.TENANT_DB_NAME,
    maxPoolSize: e.MONGODB_MAX_POOL_SIZE,
    serverSelectionTimeoutMS: e.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
  };
}

export interface OrgsConfig {
  readonly bcryptCost: number;
  readonly operationLeaseMs: number;
}

export function orgsConfig(env: Env = process.env): OrgsConfig {
  const e = parse(OrgsEnv, env, 'organizations');
  return { bcryptCost: e.BCRYPT_COST, operationLeaseMs: e.OPERATION_LEASE_SECONDS * 1_000 };
}

export interface PlacementConfig {
  readonly mode: PlacementMode;
  readonly cacheMs: number;
}

export function placementConfig(env: Env = process.env): PlacementConfig {
  const e = parse(PlacementEnv, env, 'placement');
  return { mode: e.PLACEMENT_MODE, cacheMs: e.PLACEMENT_CACHE_SECONDS * 1_000 };
}

export interface VerifierConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly publicKeys: SecretSource;
}

export function verifierConfig(env: Env = process.env): VerifierConfig {
  const e = parse(VerifierEnv, env, 'token verification');
  return {
    issuer: e.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    publicKeys: { value: e.JWT_PUBLIC_KEYS, secretId: e.JWT_PUBLIC_KEYS_SECRET_ID },
  };
}

export interface SignerConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly privateKey: SecretSource;
  readonly ttlSeconds: number;
}

export function signerConfig(env: Env = process.env): SignerConfig {
  const e = parse(SignerEnv, env, 'token signing');
  return {
    issuer: e.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    privateKey: { value: e.JWT_PRIVATE_KEY, secretId: e.JWT_PRIVATE_KEY_SECRET_ID },
    ttlSeconds: e.JWT_TTL_SECONDS,
  };
}

export interface SessionConfig {
  readonly refreshTtlMs: number;
  readonly maxFailuresPerEmail: number;
  readonly maxFailuresPerIp: number;
  readonly failureWindowMs: number;
}

export function sessionConfig(env: Env = process.env): SessionConfig {
  const e = parse(SessionEnv, env, 'session');
  return {
    refreshTtlMs: e.REFRESH_TOKEN_TTL_SECONDS * 1_000,
    maxFailuresPerEmail: e.LOGIN_MAX_FAILURES_PER_EMAIL,
    maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
    failureWindowMs: e.LOGIN_FAILURE_WINDOW_SECONDS * 1_000,
  };
}

export interface GuardConfig {
  readonly revocationCacheMs: number;
  readonly keyMaxAgeMs: number;
}

export function guardConfig(env: Env = process.env): GuardConfig {
  const e = parse(GuardEnv, env, 'token guard');
  return { revocationCacheMs: e.REVOCATION_CACHE_SECONDS * 1_000, keyMaxAgeMs: e.JWT_KEYS_MAX_AGE_SECONDS * 1_000 };
}
