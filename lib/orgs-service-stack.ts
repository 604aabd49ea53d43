import { CfnOutput, type CfnResource, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  type CorsPreflightOptions,
  HttpApi,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { InvocationType, Trigger } from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { EndpointFunction } from './endpoint-function.ts';
import { generateRoutes, pascalCase, routeKey } from './generate-routes.ts';
import { JobQueue } from './job-queue.ts';
import { eventBusName, memoryFor, provideNeeds, readsSecrets } from './needs.ts';
import {
  authorizer as authorizerSpec,
  type DeployFunction,
  databaseSetup as databaseSetupSpec,
  type FunctionSpec,
  jobWorker as jobWorkerSpec,
  type QueueWorker,
  type Route,
  routes as routeTable,
  type ScheduledFunction,
  scheduledFunctions as scheduledFunctionTable,
} from './routes.ts';
import { ServiceAlarms } from './service-alarms.ts';
import { ServiceDashboard, telemetryEnvironment } from './service-dashboard.ts';
import { ServiceSecrets } from './service-secrets.ts';
import {
  AUTHORIZER_TIMEOUT_SECONDS,
  authorizerCacheTtl,
  DATABASE_SETUP_TIMEOUT_SECONDS,
  ROUTE_TIMEOUT_SECONDS,
  SCHEDULED_TIMEOUT_SECONDS,
  type StageConfig,
} from './stages.ts';

export interface OrgsServiceStackProps extends StackProps {
  /** The stage's configuration (lib/stages.ts). */
  readonly config: StageConfig;
  /** @default the route table of lib/routes.ts */
  readonly routes?: readonly Route[];
  /** @default the authorizer of lib/routes.ts */
  readonly authorizer?: FunctionSpec;
  /** @default the scheduled functions of lib/routes.ts */
  readonly scheduled?: readonly ScheduledFunction[];
  /** @default the job worker of lib/routes.ts */
  readonly workers?: readonly QueueWorker[];
  /** @default the database setup of lib/routes.ts */
  readonly databaseSetup?: DeployFunction;
}

/**
 * One JSON line per request. No header, query or body is logged: only what identifies the request,
 * its outcome and, on protected routes, the organization the authorizer resolved.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  protocol: '$context.protocol',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  orgId: '$context.authorizer.orgId',
} as const;

/**
 * The orgs service for one stage: a function per route-table row plus the authorizer, on an HTTP
 * API, with the three secrets, log groups and alarms.
 */
export class OrgsServiceStack extends Stack {
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly secrets: ServiceSecrets;
  /** Every function by function folder, the authorizer and the database setup included. */
  readonly functions: ReadonlyMap<string, EndpointFunction>;
  /** Runs the database setup function during each deployment that changes it. */
  readonly databaseSetup: Trigger;
  readonly alarms: ServiceAlarms;
  /** The stage's dashboard and saved Logs Insights queries. */
  readonly dashboard: ServiceDashboard;
  /**
   * The bus the dispatcher puts the lifecycle events on (`Source` `orgs-service`, one detail-type per
   * event type), made when a function needs `eventBus`.
   */
  readonly eventBus?: EventBus;
  /** The job worker's queue and dead-letter queue, made when a function needs `jobQueue`. */
  readonly jobQueue?: JobQueue;

  constructor(scope: Construct, id: string, props: OrgsServiceStackProps) {
    const { config } = props;
    super(scope, id, {
      stackName: config.stackName,
      description: `Orgs service (${config.name}): multi-tenant organization management API`,
      ...props,
    });
    const routes = (props.routes ?? routeTable).filter((r) => !r.docs || config.publishApiDocument);
    const authorizerFunction = props.authorizer ?? authorizerSpec;
    const prefix = config.resourcePrefix;

    this.secrets = new ServiceSecrets(this, 'Secrets', {
      prefix,
      removalPolicy: config.removalPolicy,
      imported: config.importSecrets,
    });

    const scheduledSpecs = props.scheduled ?? scheduledFunctionTable;
    const needsBus = [...routes, ...scheduledSpecs].some((spec) => spec.needs.includes('eventBus'));
    if (needsBus) this.eventBus = new EventBus(this, 'EventBus', { eventBusName: eventBusName(config) });
    const bus = this.eventBus;
    const workers = props.workers ?? [jobWorkerSpec];
    const needsJobs = [...routes, ...scheduledSpecs, ...workers].some((spec) => spec.needs.includes('jobQueue'));
    const worker = workers[0];
    if (needsJobs) {
      if (!worker) throw new Error('Functions need the job queue, and no job worker is defined');
      this.jobQueue = new JobQueue(this, 'Jobs', {
        prefix,
        workerTimeout: Duration.seconds(worker.timeoutSeconds),
        removalPolicy: config.removalPolicy,
      });
    }
    const jobQueue = this.jobQueue?.queue;

    const createFunction = (spec: FunctionSpec, timeoutSeconds: number, description: string) => {
      const fn = new EndpointFunction(this, pascalCase(spec.function), {
        function: spec.function,
        functionName: `${prefix}-${spec.function}`,
        description,
        memorySize: memoryFor(spec.needs, config),
        timeout: Duration.seconds(timeoutSeconds),
        logRetention: config.logRetention,
        removalPolicy: config.removalPolicy,
        environment: { LOG_LEVEL: config.logLevel, ...telemetryEnvironment(config) },
        readsSecrets: readsSecrets(spec.needs),
      });
      provideNeeds(fn, spec.needs, { secrets: this.secrets, config, ...(bus ? { bus } : {}), ...(jobQueue ? { jobQueue } : {}) });
      return fn;
    };

    const authorizerFn = createFunction(
      authorizerFunction,
      AUTHORIZER_TIMEOUT_SECONDS,
      'Verifies access tokens for protected routes',
    );
    const authorizer = new HttpLambdaAuthorizer('JwtAuthorizer', authorizerFn, {
      authorizerName: `${prefix}-jwt`,
      identitySource: ['$request.header.Authorization'],
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: authorizerCacheTtl(config),
    });

    this.api = new HttpApi(this, 'Api', {
      apiName: prefix,
      description: `Orgs service API (${config.name})`,
      createDefaultStage: false,
      corsPreflight: corsFor(config, routes),
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${prefix}/access`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.apiStage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttling.default,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const generated = generateRoutes({
      api: this.api,
      routes,
      authorizer,
      createFunction: (route) => createFunction(route, ROUTE_TIMEOUT_SECONDS, `${routeKey(route)}: ${route.summary}`),
    });
    const scheduled = new Map<string, EndpointFunction>();
    for (const spec of scheduledSpecs) {
      const fn = createFunction(spec, SCHEDULED_TIMEOUT_SECONDS, spec.summary);
      new Rule(this, `${pascalCase(spec.function)}Schedule`, {
        description: `${spec.function}: ${spec.schedule}`,
        schedule: Schedule.expression(spec.schedule),
        targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
      });
      scheduled.set(spec.function, fn);
    }
    const queued = new Map<string, EndpointFunction>();
    for (const spec of this.jobQueue ? workers : []) {
      const fn = createFunction(spec, spec.timeoutSeconds, spec.summary);
      this.jobQueue?.addWorker(fn);
      queued.set(spec.function, fn);
    }
    const serving = new Map([[authorizerFunction.function, authorizerFn], ...generated.functions, ...scheduled, ...queued]);

    // The one-time database setup (the master indexes) runs here, at deploy time, never on a request.
    // The trigger invokes the version CDK derives from the function's code and configuration, so it
    // runs on the first deploy and again whenever the bundle (the index definitions in it) or its
    // settings (the database names) change; a deploy that changes neither leaves the template as it
    // was. It waits for the answer: a failed setup fails the deploy. Every function that serves
    // requests, and the API itself, is created or updated only after it, so new code never meets a
    // database without the indexes it expects.
    const setupSpec = props.databaseSetup ?? databaseSetupSpec;
    const setupFn = createFunction(setupSpec, DATABASE_SETUP_TIMEOUT_SECONDS, setupSpec.summary);
    this.databaseSetup = new Trigger(this, 'DatabaseSetupTrigger', {
      handler: setupFn,
      executeOnHandlerChange: true,
      invocationType: InvocationType.REQUEST_RESPONSE,
      timeout: Duration.seconds(DATABASE_SETUP_TIMEOUT_SECONDS),
    });
    this.databaseSetup.executeBefore(this.api, ...serving.values());
    this.#keepTriggerProviderLogs(config);
    this.functions = new Map([...serving, [setupSpec.function, setupFn]]);

    // Tighter limits on the routes that hash passwords; a route setting needs its route to exist.
    const stage = this.apiStage.node.defaultChild as CfnStage;
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of routes.filter((r) => r.needs.includes('passwordHashing'))) {
      routeSettings[routeKey(route)] = {
        ThrottlingRateLimit: config.throttling.passwordRoutes.rateLimit,
        ThrottlingBurstLimit: config.throttling.passwordRoutes.burstLimit,
      };
      const httpRoute = generated.routes.get(routeKey(route));
      if (httpRoute) stage.node.addDependency(httpRoute);
    }
    if (Object.keys(routeSettings).length > 0) stage.routeSettings = routeSettings;

    for (const route of routes.filter((r) => r.auth === 'public')) {
      const httpRoute = generated.routes.get(routeKey(route));
      if (httpRoute) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is public by design (${route.summary.toLowerCase()}); its handler validates every input.`,
        });
      }
    }

    this.alarms = new ServiceAlarms(this, 'Alarms', {
      prefix,
      api: this.api,
      functions: serving,
      authorizer: authorizerFunction.function,
      thresholds: config.alarms,
      ...(this.jobQueue && worker
        ? {
            jobs: {
              deadLetterQueue: this.jobQueue.deadLetterQueue,
              failedJobs: this.jobQueue.metricFailedJobs(prefix, worker.function),
            },
          }
        : {}),
    });

    this.dashboard = new ServiceDashboard(this, 'Monitoring', {
      prefix,
      api: this.api,
      functions: serving,
      authorizer: authorizerFunction.function,
      alarms: this.alarms.alarms,
      thresholds: config.alarms,
      functionLogs: [...this.functions.values()].map((fn) => fn.logGroup),
      accessLogs,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API', value: this.apiStage.url });
    new CfnOutput(this, 'DatabaseUriSecretArn', {
      description: 'Put the MongoDB connection string here',
      value: this.secrets.databaseUri.secretArn,
    });
    new CfnOutput(this, 'SigningKeySecretArn', {
      description: 'Put the private signing JWK here',
      value: this.secrets.signingKey.secretArn,
    });
    new CfnOutput(this, 'VerificationKeysSecretArn', {
      description: 'Put the public JWK Set here',
      value: this.secrets.verificationKeys.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe here for alarm notifications',
      value: this.alarms.topic.topicArn,
    });
  }

  /**
   * CDK's trigger provider (the function that invokes the setup during a deploy) would otherwise log
   * to a group Lambda creates with no retention; this one exists before the first invocation.
   */
  #keepTriggerProviderLogs(config: StageConfig): void {
    const provider = this.node.tryFindChild('AWSCDK.TriggerCustomResourceProviderCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler') as CfnResource | undefined;
    if (!handler) throw new Error('CDK trigger provider not found: its log group cannot be set up');
    const logs = new LogGroup(this, 'TriggerProviderLogs', {
      logGroupName: Fn.join('', ['/aws/lambda/', handler.ref]),
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.databaseSetup.executeAfter(logs);
  }
}

function corsFor(config: StageConfig, routes: readonly Route[]): CorsPreflightOptions | undefined {
  if (config.corsAllowOrigins.length === 0) return undefined;
  const methods = [...new Set(routes.map((r) => r.method))].map((m) => CorsHttpMethod[m]);
  return {
    allowOrigins: [...config.corsAllowOrigins],
    allowMethods: [...methods, CorsHttpMethod.OPTIONS],
    allowHeaders: ['authorization', 'content-type'],
    maxAge: Duration.hours(1),
  };
}
