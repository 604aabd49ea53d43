import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from './stages.ts';

export interface ServiceAlarmsProps {
  /** Prefix of alarm and topic names. */
  readonly prefix: string;
  readonly api: IHttpApi;
  /** Every function of the service by function folder, the authorizer included. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** The authorizer's function folder. */
  readonly authorizer: string;
  readonly thresholds: StageConfig['alarms'];
  /** The jobs to watch: jobs that failed for good, and wake-ups the worker gave up on. */
  readonly jobs?: { readonly deadLetterQueue: IQueue; readonly failedJobs: IMetric };
}

const PERIOD = Duration.minutes(5);

/** The most metrics a metric-math alarm may use (Amazon CloudWatch User Guide, "Alarming on metric math expressions"). */
export const FUNCTIONS_PER_ALARM = 10;

const chunk = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/**
 * The service's alarms, all notifying one SNS topic (state changes to ALARM and back to OK):
 * the API's 5xx rate, authorizer failures, the functions' throttles and p99 duration (ten functions
 * an alarm), and failed
 * jobs and job wake-ups in the dead-letter queue.
 */
export class ServiceAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const t = props.thresholds;
    this.topic = new Topic(this, 'Topic', { topicName: `${props.prefix}-alarms`, enforceSSL: true });
    for (const email of t.emails) this.topic.addSubscription(new EmailSubscription(email));

    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, name: string, description: string, metric: IMetric, threshold: number, atLeast = false) => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${props.prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: atLeast
          ? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
          : ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      alarms.push(created);
    };

    alarm(
      'ServerErrorRate',
      '5xx-rate',
      `More than ${t.serverErrorRatePercent}% of API requests answered 5xx in 5 minutes`,
      new MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }),
          requests: props.api.metricCount({ period: PERIOD, statistic: 'Sum' }),
        },
        period: PERIOD,
        label: '5xx rate (%)',
      }),
      t.serverErrorRatePercent,
    );

    const authorizer = props.functions.get(props.authorizer);
    if (!authorizer) throw new Error(`No function ${props.authorizer} to watch as the authorizer`);
    alarm(
      'AuthorizerErrors',
      'authorizer-errors',
      `The authorizer failed ${t.authorizerErrors} or more times in 5 minutes (protected routes answer 500)`,
      authorizer.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      t.authorizerErrors,
      true,
    );

    // Grouped: one metric-math alarm watches up to 10 functions (CloudWatch's limit of metrics in an
    // alarm's expression), so the alarms do not grow with every route and the stack stays within
    // CloudFormation's 500 resources. The alarm's description names its functions; the dashboard
    // draws each function's line.
    const groups = chunk([...props.functions], FUNCTIONS_PER_ALARM);
    groups.forEach((group, index) => {
      const names = group.map(([name]) => name).join(', ');
      const ids = (prefix: string) => Object.fromEntries(group.map(([, fn], i) => [`${prefix}${i}`, fn]));
      alarm(
        `FunctionThrottles${index + 1}`,
        `throttles-${index + 1}`,
        `One of these functions was throttled ${t.throttles} or more times in 5 minutes: ${names}`,
        new MathExpression({
          expression: `MAX([${group.map((_, i) => `t${i}`).join(', ')}])`,
          usingMetrics: Object.fromEntries(
            Object.entries(ids('t')).map(([id, fn]) => [id, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })]),
          ),
          period: PERIOD,
          label: `throttles (${names})`,
        }),
        t.throttles,
        true,
      );
      alarm(
        `FunctionP99Duration${index + 1}`,
        `p99-duration-${index + 1}`,
        `One of these functions took more than ${t.p99DurationMs} ms at p99 over 5 minutes: ${names}`,
        new MathExpression({
          expression: `MAX([${group.map((_, i) => `d${i}`).join(', ')}])`,
          usingMetrics: Object.fromEntries(
            Object.entries(ids('d')).map(([id, fn]) => [id, fn.metricDuration({ period: PERIOD, statistic: 'p99' })]),
          ),
          period: PERIOD,
          label: `p99 duration (${names})`,
        }),
        t.p99DurationMs,
      );
    });
    if (props.jobs) {
      alarm(
        'FailedJobs',
        'failed-jobs',
        'A job (a move or a purge) failed for good in 5 minutes: see `npm run org:jobs -- list --state failed`',
        props.jobs.failedJobs,
        1,
        true,
      );
      alarm(
        'JobDeadLetters',
        'job-dead-letters',
        'A job wake-up reached the dead-letter queue (the worker could not reach the database 5 times)',
        props.jobs.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        1,
        true,
      );
    }
    this.alarms = alarms;
  }
}
