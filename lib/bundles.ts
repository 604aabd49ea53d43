import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { cdkJsonContext } from './app.ts';
import { BUNDLING, PROJECT_ROOT } from './endpoint-function.ts';
import { OrgsServiceStack } from './orgs-service-stack.ts';
import { type StageConfig, stageConfig } from './stages.ts';

/** A function's bundle as the stack builds it, with the environment the stack gives it. */
export interface Bundle {
  /** Folder under functions/. */
  readonly function: string;
  /** The bundled handler module (`index.mjs`). */
  readonly file: string;
  readonly bytes: number;
  /** The function's environment variables; secret ids are the ARNs given in `secretArns`. */
  readonly environment: Readonly<Record<string, string>>;
}

/** Stand-in ARNs for the three secrets, so every environment value is a plain string. */
export const BUNDLE_SECRET_ARNS = {
  databaseUriArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orgs-bundles/mongodb-uri-AbCdEf',
  signingKeyArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orgs-bundles/jwt-private-key-AbCdEf',
  verificationKeysArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orgs-bundles/jwt-public-keys-AbCdEf',
} as const;

/**
 * Stand-ins for environment values that refer to other resources of the stack (a CloudFormation
 * `Ref` until deployed), so every environment value is a plain string. Nothing is sent to them unless
 * a job is stranded in the bundle's database.
 */
export const BUNDLE_RESOURCE_STAND_INS: Readonly<Record<string, string>> = {
  JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/orgs-bundles-jobs',
};

/**
 * Bundles every function of the stack exactly as `cdk synth` does (same construct, same esbuild
 * options), into `outdir`. The stage's secrets are swapped for {@link BUNDLE_SECRET_ARNS} and
 * references to the stack's other resources for {@link BUNDLE_RESOURCE_STAND_INS}; bundling depends
 * on neither.
 *
 * @example
 * for (const bundle of bundleFunctions(mkdtempSync(join(tmpdir(), 'bundles-')))) console.log(bundle.file);
 */
export function bundleFunctions(outdir: string, stage = 'dev'): Bundle[] {
  const config: StageConfig = { ...stageConfig(stage), importSecrets: BUNDLE_SECRET_ARNS };
  const app = new App({ outdir, context: cdkJsonContext() });
  // Assets are staged, and so bundled, as each function is constructed.
  const stack = new OrgsServiceStack(app, 'OrgsServiceBundles', { config });
  return [...stack.functions].map(([name, fn]) => {
    const asset = fn.node.findChild('Code') as Asset;
    const dir = isAbsolute(asset.assetPath) ? asset.assetPath : join(outdir, asset.assetPath);
    const file = join(dir, 'index.mjs');
    const cfn = fn.node.defaultChild as CfnFunction;
    const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(resolved?.variables ?? {})) {
      const plain = typeof value === 'string' ? value : BUNDLE_RESOURCE_STAND_INS[key];
      if (plain === undefined) throw new Error(`${name}: ${key} is not a plain string: ${JSON.stringify(value)}`);
      environment[key] = plain;
    }
    return { function: name, file, bytes: statSync(file).size, environment };
  });
}

/**
 * The end of a process's output that ran a bundle: the last lines, each cut short, since a stack
 * trace through a minified bundle quotes whole megabyte-long lines.
 */
export function childOutput(output: string, lines = 20): string {
  return output
    .trim()
    .split('\n')
    .slice(-lines)
    .map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line))
    .join('\n');
}

/**
 * What the cold-start report sets functions against, built with the functions' own esbuild options
 * ({@link BUNDLING}): `reference` imports every library a function of this kind uses, eagerly and
 * whole (the MongoDB driver, jose, zod, bcryptjs, @middy/core and the Secrets Manager client), as a
 * function that did no per-route composition would; `driver` is the MongoDB driver alone, the floor
 * of any function that talks to the database.
 */
export const REFERENCE_SOURCES = {
  reference: [
    "import * as mongodb from 'mongodb';",
    "import * as jose from 'jose';",
    "import * as zod from 'zod';",
    "import * as bcrypt from 'bcryptjs';",
    "import * as middy from '@middy/core';",
    "import * as secrets from '@aws-sdk/client-secrets-manager';",
    'globalThis.reference = [mongodb, jose, zod, bcrypt, middy, secrets];',
  ].join('\n'),
  driver: "import * as mongodb from 'mongodb';\nglobalThis.reference = [mongodb];",
} as const;

/**
 * Telemetry yardsticks for the cold-start report, built like {@link REFERENCE_SOURCES}: Powertools'
 * Logger and Metrics, which every function loads (`functions/core/log.ts`, `metrics.ts`), and its
 * Tracer, which none loads, with the X-Ray SDK it imports, set up as in a Lambda with tracing on
 * ({@link TELEMETRY_ENVIRONMENT}): what tracing would add to each function's import.
 */
export const TELEMETRY_SOURCES = {
  loggerAndMetrics: [
    "import { Logger } from '@aws-lambda-powertools/logger';",
    "import { Metrics } from '@aws-lambda-powertools/metrics';",
    "globalThis.telemetry = [new Logger(), new Metrics({ namespace: 'OrgsService' })];",
  ].join('\n'),
  tracer: "import { Tracer } from '@aws-lambda-powertools/tracer';\nglobalThis.telemetry = new Tracer();",
} as const;

/** What a Lambda function with active tracing finds in its environment, for the telemetry yardsticks. */
export const TELEMETRY_ENVIRONMENT = {
  AWS_LAMBDA_FUNCTION_NAME: 'telemetry-yardstick',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  POWERTOOLS_SERVICE_NAME: 'orgs-service',
  POWERTOOLS_TRACE_ENABLED: 'true',
  _X_AMZN_TRACE_ID: 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1',
} as const;

/** The esbuild options every function is bundled with ({@link BUNDLING}), for builds outside CDK. */
function esbuildOptions(): import('esbuild').BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    external: [...BUNDLING.externalModules],
    define: { ...BUNDLING.define },
    minify: BUNDLING.minify,
    keepNames: BUNDLING.keepNames,
    sourcemap: BUNDLING.sourceMap,
    logLevel: 'warning',
  };
}

/**
 * Bundles `source` (an ES module's text, resolved from the project root) into `outdir/<name>.mjs`
 * with the options every function is bundled with, and returns the file and its size.
 */
export async function bundleSource(outdir: string, name: string, source: string): Promise<{ file: string; bytes: number }> {
  const { build } = await import('esbuild');
  const file = join(outdir, `${name}.mjs`);
  await build({ ...esbuildOptions(), stdin: { contents: source, resolveDir: PROJECT_ROOT, loader: 'js' }, outfile: file });
  return { file, bytes: statSync(file).size };
}

/** The parts a bundle holds, in bytes of output: the packages it bundles, grouped, and our own code. */
export type Holdings = Readonly<Record<string, number>>;

/** Which group a bundled input belongs to: the MongoDB driver with its own dependencies, a package, or ours. */
function holdingOf(input: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (!pkg) return input.startsWith('functions/core/') ? 'our core' : 'our function';
  const driver = ['mongodb', 'bson', 'mongodb-connection-string-url', 'whatwg-url', 'tr46', 'webidl-conversions', 'punycode'];
  if (driver.includes(pkg) || pkg.startsWith('@mongodb-js/') || pkg === 'memory-pager' || pkg === 'sparse-bitfield') {
    return 'mongodb driver';
  }
  return pkg;
}

/**
 * What a function's bundle holds, from esbuild's metafile of the same build the stack makes
 * (`functions/<name>/handler.ts` with {@link BUNDLING}'s options), grouped by {@link holdingOf}.
 */
export async function bundleHoldings(functionName: string): Promise<Holdings> {
  const { build } = await import('esbuild');
  const result = await build({
    ...esbuildOptions(),
    entryPoints: [join(PROJECT_ROOT, 'functions', functionName, 'handler.ts')],
    absWorkingDir: PROJECT_ROOT,
    outfile: join(PROJECT_ROOT, 'cdk.out', 'holdings', `${functionName}.mjs`),
    write: false,
    metafile: true,
  });
  const holdings: Record<string, number> = {};
  for (const output of Object.values(result.metafile?.outputs ?? {})) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const group = holdingOf(input);
      holdings[group] = (holdings[group] ?? 0) + bytesInOutput;
    }
  }
  return holdings;
}
