import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
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
}

const PERIOD = Duration.minutes(5);

/**
 * The service's alarms, all notifying one SNS topic (state changes to ALARM and back to OK):
 * the API's 5xx rate, authorizer failures, and each function's throttles and p99 duration.
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

    for (const [name, fn] of props.functions) {
      const id = name.replace(/[^A-Za-z0-9]/g, '');
      alarm(
        `${id}Throttles`,
        `${name}-throttles`,
        `${name} was throttled ${t.throttles} or more times in 5 minutes`,
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        t.throttles,
        true,
      );
      alarm(
        `${id}P99Duration`,
        `${name}-p99-duration`,
        `${name} took more than ${t.p99DurationMs} ms at p99 over 5 minutes`,
        fn.metricDuration({ period: PERIOD, statistic: 'p99' }),
        t.p99DurationMs,
      );
    }
    this.alarms = alarms;
  }
}
