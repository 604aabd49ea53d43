import { Stack } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { EndpointFunction } from './endpoint-function.ts';
import type { Need } from './routes.ts';
import type { ServiceSecrets } from './service-secrets.ts';
import type { StageConfig } from './stages.ts';

/**
 * Turns what a route-table row declares into what its function gets: environment variables (the
 * contract of functions/core/config.ts) and read grants on exactly the secrets it names.
 */

export interface NeedsContext {
  readonly secrets: ServiceSecrets;
  readonly config: StageConfig;
  /** The stack's event bus, for functions that need `eventBus`. */
  readonly bus?: IEventBus;
  /** The job worker's queue, for functions that need `jobQueue`. */
  readonly jobQueue?: IQueue;
}

/** Gives `fn` the environment and the secret grants its needs call for. */
export function provideNeeds(
  fn: EndpointFunction,
  needs: readonly Need[],
  { secrets, config, bus, jobQueue }: NeedsContext,
): void {
  const set = (variables: Record<string, string | number>) => {
    for (const [name, value] of Object.entries(variables)) fn.addEnvironment(name, String(value));
  };
  for (const need of new Set(needs)) {
    switch (need) {
      case 'database':
        fn.useSecret('MONGODB_SECRET_ID', secrets.databaseUri);
        set({
          MASTER_DB_NAME: config.database.masterDbName,
          TENANT_DB_NAME: config.database.tenantDbName,
          BCRYPT_COST: config.bcryptCost,
          OPERATION_LEASE_SECONDS: config.operationLeaseSeconds,
          PLACEMENT_MODE: config.placementMode,
          EVENT_RETENTION_DAYS: config.events.retentionDays,
          PLANS: JSON.stringify(config.plans),
          DEFAULT_PLAN: config.defaultPlan,
          PLAN_CACHE_SECONDS: config.planCacheSeconds,
        });
        break;
      case 'signingKey':
        fn.useSecret('JWT_PRIVATE_KEY_SECRET_ID', secrets.signingKey);
        set({ JWT_ISSUER: config.jwt.issuer, JWT_AUDIENCE: config.jwt.audience, JWT_TTL_SECONDS: config.jwt.ttlSeconds });
        break;
      case 'verificationKeys':
        fn.useSecret('JWT_PUBLIC_KEYS_SECRET_ID', secrets.verificationKeys);
        set({
          JWT_ISSUER: config.jwt.issuer,
          JWT_AUDIENCE: config.jwt.audience,
          REVOCATION_CACHE_SECONDS: config.revocationCacheSeconds,
        });
        break;
      case 'passwordHashing':
        break; // memory only, see memoryFor
      case 'mail':
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['ses:SendEmail'],
            resources: [sesIdentityArn(fn, config)],
          }),
        );
        set({
          MAILER: 'ses',
          MAIL_FROM: config.mail.from,
          INVITE_URL_BASE: config.mail.inviteUrlBase,
          ACCOUNT_URL_BASE: config.mail.accountUrlBase,
        });
        break;
      case 'invitations':
        set({ INVITATION_TTL_HOURS: config.invitations.ttlHours, MEMBER_LIMIT: config.invitations.memberLimit });
        break;
      case 'eventBus':
        if (!bus) throw new Error(`${fn.node.id} needs the event bus, and the stack made none`);
        bus.grantPutEventsTo(fn);
        set({ EVENT_BUS_NAME: eventBusName(config) });
        break;
      case 'jobQueue':
        if (!jobQueue) throw new Error(`${fn.node.id} needs the job queue, and the stack made none`);
        jobQueue.grantSendMessages(fn);
        set({ JOB_QUEUE_URL: jobQueue.queueUrl });
        break;
      default:
        throw new Error(`Unknown need: ${need satisfies never}`);
    }
  }
}

/** The ARN of the stage's SES identity, in the stack's account and region: the one thing `mail` may send from. */
export function sesIdentityArn(fn: EndpointFunction, config: StageConfig): string {
  return Stack.of(fn).formatArn({ service: 'ses', resource: 'identity', resourceName: config.mail.identity });
}

/** True when a function with these needs reads secrets (and so carries the secrets extension). */
export function readsSecrets(needs: readonly Need[]): boolean {
  return needs.some((need) => need === 'database' || need === 'signingKey' || need === 'verificationKeys');
}

/** Memory in MB for a function with these needs. */
export function memoryFor(needs: readonly Need[], config: StageConfig): number {
  return needs.includes('passwordHashing') ? config.memory.passwordHashing : config.memory.standard;
}

/** The name of the stage's event bus (the stack names it so; the functions get it as a plain string). */
export function eventBusName(config: StageConfig): string {
  return `${config.resourcePrefix}-events`;
}
