import { Capture, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUSINESS_METRIC,
  CACHE_METRIC,
  DURATION_METRIC,
  METRICS_NAMESPACE,
  REQUEST_METRIC,
} from '../../functions/core/metric-names.ts';
import { ACCESS_LOG_FIELDS } from '../../lib/orgs-service-stack.ts';
import {
  AUTHORIZER_FUNCTION,
  authorizer,
  databaseSetup,
  type FunctionSpec,
  jobWorker,
  type Need,
  routes,
  scheduledFunctions,
} from '../../lib/routes.ts';
import { FUNCTIONS_PER_ALARM } from '../../lib/service-alarms.ts';
import { authorizerCacheTtl, DATABASE_SETUP_TIMEOUT_SECONDS, stages } from '../../lib/stages.ts';
import { type Synthesized, synthStage } from '../support/cdk.ts';

/** The dev stack's template, cdk-nag included; functions are not bundled here (see bundles.test.ts). */

const config = stages.dev;
const prefix = config.resourcePrefix;
const specs: readonly FunctionSpec[] = [authorizer, ...routes, ...scheduledFunctions, jobWorker, databaseSetup];
const functionNames = [...new Set(specs.map((s) => s.function))];
/** The functions that serve requests or schedules: all but the deploy-time database setup. */
const servingNames = functionNames.filter((name) => name !== databaseSetup.function);

let dev: Synthesized;

// Synthesizing bundles every function (30) with esbuild: longer than the default hook limit on 2 busy cores.
beforeAll(() => {
  dev = synthStage('dev');
}, 240_000);

function logicalIdOf(type: string, props: Record<string, unknown>): string {
  const found = Object.keys(dev.template.findResources(type, { Properties: props }));
  expect(found, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0]!;
}

const functionId = (name: string) => logicalIdOf('AWS::Lambda::Function', { FunctionName: `${prefix}-${name}` });
const functionProps = (name: string) => dev.json.Resources[functionId(name)].Properties;

const secretIds = () => ({
  database: logicalIdOf('AWS::SecretsManager::Secret', { Name: `${prefix}/mongodb-uri` }),
  signingKey: logicalIdOf('AWS::SecretsManager::Secret', { Name: `${prefix}/jwt-private-key` }),
  verificationKeys: logicalIdOf('AWS::SecretsManager::Secret', { Name: `${prefix}/jwt-public-keys` }),
});

/** Logical ids of the secrets a function's role may read, from the policies attached to that role. */
function readableSecrets(name: string): string[] {
  const role = functionProps(name).Role['Fn::GetAtt'][0] as string;
  const policies = Object.values(dev.template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === role),
  );
  const readable = new Set<string>();
  for (const policy of policies) {
    for (const statement of (policy as any).Properties.PolicyDocument.Statement) {
      const actions = [statement.Action].flat();
      if (!actions.includes('secretsmanager:GetSecretValue')) continue;
      for (const resource of [statement.Resource].flat()) readable.add(resource.Ref ?? JSON.stringify(resource));
    }
  }
  return [...readable].sort();
}

const secretNeeds = { database: 'database', signingKey: 'signingKey', verificationKeys: 'verificationKeys' } as const;

describe('Stack: OrgsService (dev)', () => {
  it("has one function per route plus the authorizer, the scheduled ones, the database setup and CDK's trigger provider", () => {
    dev.template.resourceCountIs('AWS::Lambda::Function', functionNames.length + 1);
    for (const name of functionNames) functionId(name);
    expect(functionNames).toContain(AUTHORIZER_FUNCTION);
  });

  it('runs every function on Node.js 24, arm64, without X-Ray tracing, with its own log group', () => {
    for (const name of functionNames) {
      expect(functionProps(name), name).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(functionProps(name).TracingConfig, name).toBeUndefined();
      const logGroup = functionProps(name).LoggingConfig.LogGroup.Ref;
      expect(dev.json.Resources[logGroup].Properties.LogGroupName).toBe(`/aws/lambda/${prefix}-${name}`);
    }
  });

  it('gives the password-hashing functions the larger memory size', () => {
    for (const spec of specs) {
      const expected = spec.needs.includes('passwordHashing') ? config.memory.passwordHashing : config.memory.standard;
      expect(functionProps(spec.function).MemorySize, spec.function).toBe(expected);
    }
    expect(functionProps('admin-login').MemorySize).toBeGreaterThan(functionProps('org-get').MemorySize);
    expect(functionProps('org-create').MemorySize).toBeGreaterThan(functionProps('org-get').MemorySize);
  });

  it('routes each row to its own function, with the authorizer on jwt routes only', () => {
    const authorizerRef = logicalIdOf('AWS::ApiGatewayV2::Authorizer', { Name: `${prefix}-jwt` });

    dev.template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    for (const route of routes) {
      const target = new Capture();
      dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        Target: target,
        ...(route.auth === 'jwt'
          ? { AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerRef } }
          : { AuthorizationType: 'NONE', AuthorizerId: Match.absent() }),
      });
      const integrationId = JSON.stringify(target.asObject()).match(/"Ref":"([^"]+)"/)?.[1];
      expect(dev.json.Resources[integrationId!].Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId(route.function), 'Arn'] },
      });
    }
  });

  it('runs the authorizer with payload 2.0 simple responses on the Authorization header, cached per stage', () => {
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: authorizerCacheTtl(config).toSeconds(),
    });
    const uri = JSON.stringify(dev.template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(uri).toContain(`{"Fn::GetAtt":["${functionId(AUTHORIZER_FUNCTION)}","Arn"]}`);
  });

  it('grants each function read on exactly the secrets its needs name', () => {
    const ids = secretIds();
    for (const spec of specs) {
      const expected = spec.needs
        .filter((n): n is keyof typeof secretNeeds => n in secretNeeds)
        .map((n) => ids[n])
        .sort();
      expect(readableSecrets(spec.function), spec.function).toEqual(expected);
    }
  });

  it('lets the authorizer read the public keys and the database (revocation), never the signing key', () => {
    const ids = secretIds();
    expect(readableSecrets(AUTHORIZER_FUNCTION)).toEqual([ids.database, ids.verificationKeys].sort());
    expect(readableSecrets(AUTHORIZER_FUNCTION)).not.toContain(ids.signingKey);
    const env = functionProps(AUTHORIZER_FUNCTION).Environment.Variables;
    expect(env.JWT_PUBLIC_KEYS_SECRET_ID).toEqual({ Ref: ids.verificationKeys });
    expect(env.JWT_PRIVATE_KEY_SECRET_ID).toBeUndefined();
    expect(env.REVOCATION_CACHE_SECONDS).toBe(String(config.revocationCacheSeconds));
  });

  it('bounds how long a revoked token works: API Gateway cache plus revocation cache equals the stage bound', () => {
    for (const stage of Object.values(stages)) {
      expect(authorizerCacheTtl(stage).toSeconds() + stage.revocationCacheSeconds).toBe(stage.tokenRevocationBoundSeconds);
      expect(stage.tokenRevocationBoundSeconds).toBeLessThanOrEqual(60);
    }
  });

  it('runs the reconciler on its schedule with the database only', () => {
    const ids = secretIds();
    dev.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIdOf('AWS::Lambda::Function', { FunctionName: `${prefix}-reconciler` }), 'Arn'] },
        }),
      ]),
    });
    expect(readableSecrets('reconciler')).toEqual([ids.database]);
  });

  it('runs the dispatcher every minute, and lets exactly the functions that need the bus put events on it, on that bus only', () => {
    const busId = logicalIdOf('AWS::Events::EventBus', { Name: `${prefix}-events` });
    dev.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId('dispatcher'), 'Arn'] } })]),
    });
    const putters = specs.filter((spec) => spec.needs.includes('eventBus')).map((spec) => spec.function);
    expect(putters).toEqual(['dispatcher']);
    for (const name of functionNames) {
      const role = functionProps(name).Role['Fn::GetAtt'][0] as string;
      const statements = Object.values(dev.template.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
        .filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('events:')));
      if (!putters.includes(name)) {
        expect(statements, name).toEqual([]);
        continue;
      }
      expect(statements, name).toEqual([
        { Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
      ]);
    }
    expect(readableSecrets('dispatcher')).toEqual([secretIds().database]);
  });

  it('runs the job worker from its queue (one message a batch, partial batch responses), lets exactly the functions that need the queue send to it, and alarms on failed jobs and dead letters', () => {
    const queueId = logicalIdOf('AWS::SQS::Queue', { QueueName: `${prefix}-jobs` });
    const dlqId = logicalIdOf('AWS::SQS::Queue', { QueueName: `${prefix}-jobs-dlq` });
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: `${prefix}-jobs`,
      VisibilityTimeout: jobWorker.timeoutSeconds * 6,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 },
    });
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionId(jobWorker.function) },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(functionProps(jobWorker.function).Timeout).toBe(jobWorker.timeoutSeconds);
    const senders = specs.filter((spec) => spec.needs.includes('jobQueue')).map((spec) => spec.function);
    expect(senders.sort()).toEqual(['job-worker', 'reconciler']);
    for (const name of functionNames) {
      const role = functionProps(name).Role['Fn::GetAtt'][0] as string;
      const sends = Object.values(dev.template.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
        .filter((st: any) => [st.Action].flat().includes('sqs:SendMessage'));
      if (!senders.includes(name)) expect(sends, name).toEqual([]);
      else
        expect(
          sends.map((st: any) => st.Resource),
          name,
        ).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
    }
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}-failed-jobs`,
      MetricName: 'JobsFailed',
      Dimensions: Match.arrayWith([{ Name: 'route', Value: jobWorker.function }]),
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}-job-dead-letters`,
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
  });

  it("lets exactly the functions that need mail send email, only from the stage's SES identity, with the mail settings", () => {
    const identityArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ses:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:identity/${config.mail.identity}`,
        ],
      ],
    };
    const sesResources = (name: string) => {
      const role = functionProps(name).Role['Fn::GetAtt'][0] as string;
      const policies = Object.values(dev.template.findResources('AWS::IAM::Policy')).filter((p: any) =>
        p.Properties.Roles.some((r: any) => r.Ref === role),
      );
      return policies.flatMap((policy: any) =>
        policy.Properties.PolicyDocument.Statement.filter((st: any) =>
          [st.Action].flat().some((a: string) => a.startsWith('ses:')),
        ),
      );
    };
    const mailers = specs.filter((spec) => spec.needs.includes('mail')).map((spec) => spec.function);
    expect(mailers.sort()).toEqual([
      'email-verify',
      'invitations-create',
      'me-email',
      'me-email-verification',
      'org-create',
      'password-forgot',
      'reconciler',
    ]);
    for (const name of functionNames) {
      const statements = sesResources(name);
      if (!mailers.includes(name)) {
        expect(statements, name).toEqual([]);
        continue;
      }
      expect(statements, name).toEqual([{ Action: 'ses:SendEmail', Effect: 'Allow', Resource: identityArn }]);
      expect(functionProps(name).Environment.Variables, name).toMatchObject({
        MAILER: 'ses',
        MAIL_FROM: config.mail.from,
        INVITE_URL_BASE: config.mail.inviteUrlBase,
        ACCOUNT_URL_BASE: config.mail.accountUrlBase,
      });
    }
    for (const name of ['invitations-create', 'invitations-accept', 'me-invitations-accept']) {
      expect(functionProps(name).Environment.Variables, name).toMatchObject({
        INVITATION_TTL_HOURS: String(config.invitations.ttlHours),
        MEMBER_LIMIT: String(config.invitations.memberLimit),
      });
    }
  });

  it('runs the database setup at deploy time: a trigger on the setup function, before the API and every serving function', () => {
    const ids = secretIds();
    const triggers = dev.template.findResources('Custom::Trigger');
    expect(Object.keys(triggers)).toHaveLength(1);
    const [triggerId, trigger] = Object.entries(triggers)[0] as [string, any];
    expect(trigger.Properties).toMatchObject({
      InvocationType: 'RequestResponse',
      ExecuteOnHandlerChange: true,
      Timeout: String(DATABASE_SETUP_TIMEOUT_SECONDS * 1_000),
    });
    // It invokes the version CDK derives from the setup function's code and configuration.
    const version = dev.json.Resources[trigger.Properties.HandlerArn.Ref];
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(version.Properties.FunctionName).toEqual({ Ref: functionId(databaseSetup.function) });
    expect(readableSecrets(databaseSetup.function)).toEqual([ids.database]);
    expect(functionProps(databaseSetup.function).Environment.Variables).toMatchObject({
      MONGODB_SECRET_ID: { Ref: ids.database },
      MASTER_DB_NAME: config.database.masterDbName,
    });
    expect(functionProps(databaseSetup.function).Timeout).toBe(DATABASE_SETUP_TIMEOUT_SECONDS);

    const dependsOnTrigger = (id: string) => [dev.json.Resources[id].DependsOn ?? []].flat().includes(triggerId);
    for (const name of servingNames) expect(dependsOnTrigger(functionId(name)), name).toBe(true);
    const apiResources = ['AWS::ApiGatewayV2::Api', 'AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::Stage'];
    for (const type of apiResources) {
      for (const id of Object.keys(dev.template.findResources(type))) expect(dependsOnTrigger(id), id).toBe(true);
    }
    expect(dependsOnTrigger(functionId(databaseSetup.function))).toBe(false);
  });

  it('runs the setup again only when its function changes: the same source synthesizes the same trigger', () => {
    const again = synthStage('dev');
    const handlerArn = (json: Record<string, any>) =>
      (Object.values(json.Resources).find((r: any) => r.Type === 'Custom::Trigger') as any).Properties.HandlerArn;
    expect(handlerArn(again.json)).toEqual(handlerArn(dev.json));
  });

  it('publishes the OpenAPI document only where the stage says so', () => {
    const docsRoutes = routes.filter((r) => r.docs).map((r) => `${r.method} ${r.path}`);
    expect(docsRoutes).toEqual(['GET /openapi.json']);
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /openapi.json' });
    const prod = synthStage('prod').template;
    expect(Object.values(prod.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => r.Properties.RouteKey)).not.toContain(
      'GET /openapi.json',
    );
  });

  it('grants secrets through grant methods only: no wildcard secret access anywhere', () => {
    for (const policy of Object.values(dev.template.findResources('AWS::IAM::Policy'))) {
      for (const statement of (policy as any).Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat() as string[];
        if (actions.some((a) => a.startsWith('secretsmanager:'))) {
          expect(actions.sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
          expect([statement.Resource].flat().every((r: any) => typeof r === 'object' && 'Ref' in r)).toBe(true);
        }
      }
    }
  });

  /** Settings the secrets extension's layer configuration adds (AWS Lambda Developer Guide). */
  const isExtensionSetting = (name: string) => /^(PARAMETERS_SECRETS_EXTENSION|SECRETS_MANAGER|SSM_PARAMETER_STORE)_/.test(name);

  it('gives each function the configuration its needs declare', () => {
    const ids = secretIds();
    const expectedFor = (needs: readonly Need[]) => {
      const env: Record<string, unknown> = {
        LOG_LEVEL: config.logLevel,
        POWERTOOLS_SERVICE_NAME: prefix,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOGGER_SAMPLE_RATE: String(config.logDebugSampleRate),
      };
      if (needs.includes('database')) {
        Object.assign(env, {
          MONGODB_SECRET_ID: { Ref: ids.database },
          MASTER_DB_NAME: config.database.masterDbName,
          TENANT_DB_NAME: config.database.tenantDbName,
          BCRYPT_COST: String(config.bcryptCost),
          OPERATION_LEASE_SECONDS: String(config.operationLeaseSeconds),
          PLACEMENT_MODE: config.placementMode,
          EVENT_RETENTION_DAYS: String(config.events.retentionDays),
          PLANS: JSON.stringify(config.plans),
          DEFAULT_PLAN: config.defaultPlan,
          PLAN_CACHE_SECONDS: String(config.planCacheSeconds),
        });
      }
      if (needs.includes('eventBus')) {
        Object.assign(env, { EVENT_BUS_NAME: `${prefix}-events` });
      }
      if (needs.includes('jobQueue')) {
        Object.assign(env, { JOB_QUEUE_URL: { Ref: logicalIdOf('AWS::SQS::Queue', { QueueName: `${prefix}-jobs` }) } });
      }
      if (needs.includes('signingKey')) {
        Object.assign(env, {
          JWT_PRIVATE_KEY_SECRET_ID: { Ref: ids.signingKey },
          JWT_ISSUER: config.jwt.issuer,
          JWT_AUDIENCE: config.jwt.audience,
          JWT_TTL_SECONDS: String(config.jwt.ttlSeconds),
        });
      }
      if (needs.includes('verificationKeys')) {
        Object.assign(env, {
          JWT_PUBLIC_KEYS_SECRET_ID: { Ref: ids.verificationKeys },
          JWT_ISSUER: config.jwt.issuer,
          JWT_AUDIENCE: config.jwt.audience,
          REVOCATION_CACHE_SECONDS: String(config.revocationCacheSeconds),
        });
      }
      if (needs.includes('mail')) {
        Object.assign(env, {
          MAILER: 'ses',
          MAIL_FROM: config.mail.from,
          INVITE_URL_BASE: config.mail.inviteUrlBase,
          ACCOUNT_URL_BASE: config.mail.accountUrlBase,
        });
      }
      if (needs.includes('invitations')) {
        Object.assign(env, {
          INVITATION_TTL_HOURS: String(config.invitations.ttlHours),
          MEMBER_LIMIT: String(config.invitations.memberLimit),
        });
      }
      return env;
    };
    for (const spec of specs) {
      const ours = Object.fromEntries(
        Object.entries(functionProps(spec.function).Environment.Variables as Record<string, unknown>).filter(
          ([name]) => !isExtensionSetting(name),
        ),
      );
      expect(ours, spec.function).toEqual(expectedFor(spec.needs));
    }
  });

  it('gives every function that reads a secret the secrets extension, with its cache off, and no other function', () => {
    for (const spec of specs) {
      const props = functionProps(spec.function);
      const readsSecret = spec.needs.some((need) => need in secretNeeds);
      const layers = (props.Layers ?? []) as { 'Fn::FindInMap'?: [string, unknown, string] }[];
      expect(layers.length, spec.function).toBe(readsSecret ? 1 : 0);
      const found = layers[0]?.['Fn::FindInMap'];
      if (readsSecret) {
        // The layer's ARN for the stack's region, from CDK's table of the extension's arm64 builds.
        const [map, , key] = found!;
        expect(dev.json.Mappings[map]['us-east-1'][key], spec.function).toMatch(
          /^arn:aws:lambda:us-east-1:\d+:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
        );
      }
      if (readsSecret) {
        expect(props.Environment.Variables, spec.function).toMatchObject({
          PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'false',
          PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
        });
      }
    }
  });

  it('creates the three secrets empty: no value and no generated value', () => {
    dev.template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    dev.template.allResourcesProperties('AWS::SecretsManager::Secret', {
      SecretString: Match.absent(),
      GenerateSecretString: Match.absent(),
    });
  });

  it('holds no secret value anywhere: not the connection string, not a key, not a dynamic reference', () => {
    const text = JSON.stringify(dev.json);
    // The test process holds a real connection string and key pair; none may leak into the template.
    for (const value of [process.env.MONGODB_URI, process.env.JWT_PRIVATE_KEY, process.env.JWT_PUBLIC_KEYS]) {
      expect(value).toBeTruthy();
      expect(text).not.toContain(value);
    }
    const privateKey = JSON.parse(process.env.JWT_PRIVATE_KEY!) as { d: string };
    expect(text).not.toContain(privateKey.d);
    expect(text).not.toMatch(/mongodb(\+srv)?:\/\//);
    expect(text).not.toContain('{{resolve:secretsmanager');
    expect(text).not.toMatch(/"(MONGODB_URI|JWT_PRIVATE_KEY|JWT_PUBLIC_KEYS)"/);
  });

  it('throttles the stage, and the password routes harder', () => {
    const passwordRouteKeys = routes.filter((r) => r.needs.includes('passwordHashing')).map((r) => `${r.method} ${r.path}`);
    const limits = config.throttling.passwordRoutes;
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: config.throttling.default.rateLimit,
        ThrottlingBurstLimit: config.throttling.default.burstLimit,
      },
      RouteSettings: Object.fromEntries(
        passwordRouteKeys.map((key) => [key, { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit }]),
      ),
    });
    expect(passwordRouteKeys).toEqual(expect.arrayContaining(['POST /admin/login', 'POST /org/create']));
  });

  it('writes one JSON access log line per request to a log group', () => {
    const format = new Capture();
    const destination = new Capture();
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { Format: format, DestinationArn: { 'Fn::GetAtt': [destination, 'Arn'] } },
    });
    expect(JSON.parse(format.asString())).toEqual(ACCESS_LOG_FIELDS);
    expect(dev.json.Resources[destination.asString()].Type).toBe('AWS::Logs::LogGroup');
  });

  it('keeps every log group for the stage retention', () => {
    // One per function, the API's access logs, and CDK's trigger provider's.
    dev.template.resourceCountIs('AWS::Logs::LogGroup', functionNames.length + 2);
    dev.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: config.logRetention });
  });

  it('alarms on the 5xx rate, authorizer errors, every function’s throttles and p99 duration (ten functions an alarm), failed jobs and dead letters', () => {
    const topic = logicalIdOf('AWS::SNS::Topic', { TopicName: `${prefix}-alarms` });
    const groups = Math.ceil(servingNames.length / FUNCTIONS_PER_ALARM);
    dev.template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * groups + 2);
    dev.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
      TreatMissingData: 'notBreaching',
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}-5xx-rate`,
      Threshold: config.alarms.serverErrorRatePercent,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }) }) }),
      ]),
    });
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${prefix}-authorizer-errors`,
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(AUTHORIZER_FUNCTION) } }],
      Threshold: config.alarms.authorizerErrors,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // Every serving function is in exactly one throttles alarm and one p99 alarm, with the right statistic.
    const alarms = Object.values(dev.template.findResources('AWS::CloudWatch::Alarm')) as any[];
    for (const [kind, metricName, stat, threshold] of [
      ['throttles', 'Throttles', 'Sum', config.alarms.throttles],
      ['p99-duration', 'Duration', 'p99', config.alarms.p99DurationMs],
    ] as const) {
      const grouped = alarms.filter((a) => new RegExp(`^${prefix}-${kind}-\\d+$`).test(a.Properties.AlarmName));
      expect(grouped).toHaveLength(groups);
      const watched = grouped.flatMap((a) =>
        a.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => {
          expect(m.MetricStat).toMatchObject({ Metric: { MetricName: metricName, Namespace: 'AWS/Lambda' }, Stat: stat });
          return m.MetricStat.Metric.Dimensions[0].Value.Ref;
        }),
      );
      expect(watched.sort()).toEqual(servingNames.map(functionId).sort());
      for (const a of grouped) {
        expect(a.Properties.Threshold).toBe(threshold);
        expect(a.Properties.Metrics.filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(FUNCTIONS_PER_ALARM);
      }
    }
  });

  it('stays within CloudFormation’s 500 resources a stack', () => {
    expect(Object.keys(dev.json.Resources).length).toBeLessThanOrEqual(500);
  });

  /** A dashboard body as text, each reference written as its JSON. */
  const dashboardBody = (): { text: string; refs: string[] } => {
    const [dashboard] = Object.values(dev.template.findResources('AWS::CloudWatch::Dashboard')) as any[];
    const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    return {
      text: parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(''),
      refs: parts.filter((p) => typeof p !== 'string').map((p) => JSON.stringify(p)),
    };
  };

  it('has one dashboard for the stage, over every metric the functions write', () => {
    dev.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    dev.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: prefix });
    const { text } = dashboardBody();
    const names = [REQUEST_METRIC, CACHE_METRIC, BUSINESS_METRIC, DURATION_METRIC].flatMap((m) => Object.values(m));
    for (const name of names) expect(text, name).toContain(name);
    // Per-route charts search this stage's metrics by the two dimensions; nothing is per organization.
    expect(text).toContain(`SEARCH('{${METRICS_NAMESPACE},route,service} MetricName=\\"Latency\\" service=\\"${prefix}\\"'`);
    expect(text).not.toMatch(/orgId/);
    for (const title of [
      'Requests per route',
      'Latency p99 per route',
      '5xx answers per route',
      'Authorizer',
      'Database time',
      'Cache hit rates',
      'Organizations and logins',
    ]) {
      expect(text, title).toContain(title);
    }
  });

  it('shows every alarm on the dashboard, with the metrics the alarms watch', () => {
    const { text, refs } = dashboardBody();
    const alarms = Object.keys(dev.template.findResources('AWS::CloudWatch::Alarm'));
    for (const alarm of alarms) expect(refs, alarm).toContain(JSON.stringify({ 'Fn::GetAtt': [alarm, 'Arn'] }));
    // The per-function charts draw the alarms' own metrics (Lambda Duration p99, Throttles) with their thresholds.
    for (const name of servingNames) expect(refs, name).toContain(JSON.stringify({ Ref: functionId(name) }));
    expect(text).toContain(`"value":${config.alarms.p99DurationMs}`);
    expect(text).toContain(`"value":${config.alarms.throttles}`);
  });

  it('saves the Logs Insights queries: one organization, one request, errors by route, slowest requests', () => {
    const queries = dev.template.findResources('AWS::Logs::QueryDefinition');
    const byName = new Map(Object.values(queries).map((q: any) => [q.Properties.Name, q.Properties]));
    expect([...byName.keys()].sort()).toEqual(
      ['errors-by-route', 'everything-of-one-organization', 'one-request', 'slowest-requests'].map((n) => `${prefix}/${n}`),
    );
    const functionLogGroups = functionNames.map((name) => functionProps(name).LoggingConfig.LogGroup.Ref);
    const accessLogs = logicalIdOf('AWS::Logs::LogGroup', { LogGroupName: `/aws/apigateway/${prefix}/access` });
    const groupsOf = (name: string) => (byName.get(`${prefix}/${name}`).LogGroupNames as { Ref: string }[]).map((g) => g.Ref);

    const org = byName.get(`${prefix}/everything-of-one-organization`);
    expect(org.QueryString).toContain('filter orgId = "ORG_ID"');
    expect(groupsOf('everything-of-one-organization').sort()).toEqual([...functionLogGroups, accessLogs].sort());
    expect(byName.get(`${prefix}/one-request`).QueryString).toContain(
      'correlation_id = "REQUEST_ID" or requestId = "REQUEST_ID"',
    );
    expect(byName.get(`${prefix}/errors-by-route`).QueryString).toMatch(/stats count\(\*\) as answers by function/);
    expect(byName.get(`${prefix}/slowest-requests`).QueryString).toContain('sort ms desc');
    expect(groupsOf('slowest-requests').sort()).toEqual([...functionLogGroups].sort());
  });

  it('allows the stage’s CORS origins for the route table’s methods', () => {
    const methods = new Capture();
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [...config.corsAllowOrigins],
        AllowHeaders: ['authorization', 'content-type'],
        AllowMethods: methods,
      },
    });
    expect(methods.asArray().sort()).toEqual([...new Set([...routes.map((r) => r.method), 'OPTIONS'])].sort());
  });

  it('outputs the API URL and the secrets to fill', () => {
    dev.template.hasOutput('ApiUrl', {
      Value: {
        'Fn::Join': ['', Match.arrayWith(['https://', { Ref: logicalIdOf('AWS::ApiGatewayV2::Api', { Name: prefix }) }])],
      },
    });
    const ids = secretIds();
    dev.template.hasOutput('DatabaseUriSecretArn', { Value: { Ref: ids.database } });
    dev.template.hasOutput('SigningKeySecretArn', { Value: { Ref: ids.signingKey } });
    dev.template.hasOutput('VerificationKeysSecretArn', { Value: { Ref: ids.verificationKeys } });
  });

  it('passes the cdk-nag AWS Solutions checks: every finding is acknowledged with a reason', () => {
    expect(dev.violations).toEqual([]);
    expect(dev.validationError).toBeUndefined();
  });
});

describe('Stack: each stage', () => {
  it.each(Object.values(stages))(
    '$name applies its own retention, removal policy, cache, throttling and bcrypt cost',
    (stage) => {
      const synthesized = stage.name === 'dev' ? dev : synthStage(stage.name);
      const { template } = synthesized;
      const deletion = stage.removalPolicy === 'retain' ? 'Retain' : 'Delete';

      expect(synthesized.violations).toEqual([]);
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: stage.logRetention });
      template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: deletion });
      template.allResources('AWS::SecretsManager::Secret', { DeletionPolicy: deletion });
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerResultTtlInSeconds: stage.tokenRevocationBoundSeconds - stage.revocationCacheSeconds,
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingRateLimit: stage.throttling.default.rateLimit },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `${stage.resourcePrefix}-org-create`,
        MemorySize: stage.memory.passwordHashing,
        Environment: { Variables: Match.objectLike({ BCRYPT_COST: String(stage.bcryptCost) }) },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: stage.corsAllowOrigins.length > 0 ? Match.anyValue() : Match.absent(),
      });
      expect(synthesized.stack.stackName).toBe(stage.stackName);
    },
  );
});
