import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import {
  Architecture,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** The repository root: the bundler's working directory and the home of package-lock.json. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Optional peer dependencies of the MongoDB driver, loaded with `require` inside try/catch only when
 * a connection string asks for them: compression (zstd, snappy), Kerberos, client-side field level
 * encryption, AWS and GCP workload authentication, SOCKS proxies. None is installed or used here, so
 * they stay out of the bundle and the driver runs without them.
 */
export const OPTIONAL_DRIVER_MODULES = [
  '@aws-sdk/credential-providers',
  '@mongodb-js/zstd',
  'gcp-metadata',
  'kerberos',
  'mongodb-client-encryption',
  'snappy',
  'socks',
] as const;

/**
 * Modules the Lambda Node.js runtime provides (its AWS SDK for JavaScript v3), loaded with a dynamic
 * `import()` by the code paths that need them: the SES mailer (`functions/core/mail/ses-mailer.ts`),
 * the event bus (`functions/core/events/bus.ts`) and the job queue (`functions/core/jobs/sqs-queue.ts`).
 * Left out of the bundles, so no function carries an AWS SDK client.
 */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/client-sesv2', '@aws-sdk/client-eventbridge', '@aws-sdk/client-sqs'] as const;

/**
 * How every function is bundled, locally with the project's esbuild (no Docker). The bundle test
 * and `bin/bundle-report.ts` build through the stack itself, so they see exactly these options.
 *
 * - ESM for Node 24 (`index.mjs`); the banner gives CommonJS dependencies (the MongoDB driver) the
 *   `require` that Node's ESM scope lacks, or their `require('node:…')` calls would throw.
 * - `module` before `main`, so packages that ship both (jose, zod) are tree-shaken from their ESM.
 * - No AWS SDK in a bundle: the SES client is the runtime's ({@link RUNTIME_PROVIDED_MODULES});
 *   functions read their secrets through the Parameters and Secrets Lambda Extension
 *   ({@link SECRETS_EXTENSION}); `SECRETS_SOURCE` is defined as `extension` at build time, so the
 *   SDK path of `functions/core/secrets.ts` is removed from every bundle.
 * - Minified, but with names kept: error names are logged (`errorName`) and must stay readable.
 * - No source maps: logs carry error names and messages, never stack traces, so a map would only
 *   add bytes and parse time at every cold start.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);",
  externalModules: [...OPTIONAL_DRIVER_MODULES, ...RUNTIME_PROVIDED_MODULES],
  define: { 'process.env.SECRETS_SOURCE': JSON.stringify('extension') },
  minify: true,
  keepNames: true,
  sourceMap: false,
  logLevel: LogLevel.WARNING,
} as const satisfies BundlingOptions;

/**
 * The AWS Parameters and Secrets Lambda Extension, as every function that reads a secret carries it.
 * Its cache is off: `functions/core/secrets.ts` caches per container with its own ages, and a
 * `fresh` read (a token signed with a key this container has not seen yet) must reach Secrets
 * Manager. (AWS Lambda Developer Guide, "Use Secrets Manager secrets in Lambda functions".)
 */
export const SECRETS_EXTENSION = ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
  cacheEnabled: false,
  logLevel: ParamsAndSecretsLogLevel.WARN,
});

export interface EndpointFunctionProps {
  /** Folder under functions/ whose `handler.ts` exports `handler`. */
  readonly function: string;
  /** The physical function name; the log group is `/aws/lambda/<functionName>`. */
  readonly functionName: string;
  /** Shown in the Lambda console. */
  readonly description?: string;
  /** Memory in MB; CPU comes in proportion. */
  readonly memorySize: number;
  /** Lambda timeout. */
  readonly timeout: Duration;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /** Applied to the log group. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Whether the function reads secrets ({@link EndpointFunction.useSecret}); if so it carries the
   * secrets extension. Default true.
   */
  readonly readsSecrets?: boolean;
  /** Plain settings; secrets go through {@link EndpointFunction.useSecret}. */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * One Lambda function of the service: Node.js 24 on arm64, an ESM bundle, no X-Ray tracing, and its
 * own log group with the stage's retention.
 *
 * @example
 * const fn = new EndpointFunction(this, 'OrgGet', {
 *   function: 'org-get',
 *   functionName: 'orgs-service-dev-org-get',
 *   memorySize: 512,
 *   timeout: Duration.seconds(15),
 *   logRetention: RetentionDays.ONE_WEEK,
 *   removalPolicy: RemovalPolicy.DESTROY,
 * });
 * fn.useSecret('MONGODB_SECRET_ID', databaseSecret);
 */
export class EndpointFunction extends NodejsFunction {
  /** The folder under functions/ this function is built from. */
  readonly sourceFunction: string;
  readonly #readsSecrets: boolean;

  constructor(scope: Construct, id: string, props: EndpointFunctionProps) {
    // A sibling, since `this` does not exist before super(); the function writes only to it.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    super(scope, id, {
      entry: join(PROJECT_ROOT, 'functions', props.function, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      bundling: BUNDLING,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      functionName: props.functionName,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      // No X-Ray: the Powertools Tracer (with the X-Ray SDK it loads) adds 0.19 to 0.29 of the reference
      // import, several times what the authorizer's budget has left (BENCHMARKS, Cold start), and active
      // tracing without it shows only Lambda's own segments. Requests are followed by their id in the
      // logs instead (README, Observability).
      tracing: Tracing.DISABLED,
      logGroup,
      environment: { ...props.environment },
      ...(props.readsSecrets === false ? {} : { paramsAndSecrets: SECRETS_EXTENSION }),
    });
    this.sourceFunction = props.function;
    this.#readsSecrets = props.readsSecrets !== false;

    const role = this.role;
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS managed basic execution policy grants only CloudWatch Logs writes.',
      });
    }
  }

  /**
   * Puts the ARN of `secret` in the environment variable `variable` and grants read on exactly that
   * secret: a function can only be told about a secret it may read.
   */
  useSecret(variable: string, secret: ISecret): this {
    if (!this.#readsSecrets)
      throw new Error(`${this.sourceFunction} was built without the secrets extension (readsSecrets: false)`);
    this.addEnvironment(variable, secret.secretArn);
    secret.grantRead(this);
    return this;
  }
}
