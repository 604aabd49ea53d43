import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  AlarmStatusWidget,
  AlarmWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LegendPosition,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BUSINESS_METRIC,
  CACHE_METRIC,
  DIMENSION,
  DURATION_METRIC,
  METRICS_NAMESPACE,
  REQUEST_METRIC,
} from '../functions/core/metric-names.ts';
import { type SavedQueries, ServiceQueries } from './service-queries.ts';
import type { StageConfig } from './stages.ts';

/**
 * What every function is told about its telemetry: the `service` its log lines and metrics name (the
 * stage's resource prefix), the metrics namespace, and the stage's debug sampling rate.
 */
export function telemetryEnvironment(config: StageConfig): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: config.resourcePrefix,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOGGER_SAMPLE_RATE: String(config.logDebugSampleRate),
  };
}

export interface ServiceDashboardProps {
  /** The stage's resource prefix: the dashboard's name and the metrics' `service` dimension. */
  readonly prefix: string;
  readonly api: IHttpApi;
  /** Every function of the service by function folder, the authorizer included. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** The authorizer's function folder. */
  readonly authorizer: string;
  /** The stage's alarms (lib/service-alarms.ts), shown with the metrics they watch. */
  readonly alarms: readonly Alarm[];
  readonly thresholds: StageConfig['alarms'];
  /** The function log groups and the API's access log group, for the saved queries. */
  readonly functionLogs: readonly ILogGroup[];
  readonly accessLogs: ILogGroup;
}

const PERIOD = Duration.minutes(5);
const WIDE = 12;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard per stage, over the metrics the functions write (`functions/core/metric-names.ts`)
 * and the ones AWS gives (API Gateway, Lambda): alarms, requests and errors per route, latency,
 * the authorizer, database time, cache hit rates and business counts. Per-route charts use a
 * metric SEARCH, so a new route shows up without a change here. The saved Logs Insights queries
 * (`service-queries.ts`) are created with it.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly queries: SavedQueries;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const service = props.prefix;
    const ours = (name: string, route: string, statistic: string, label?: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { [DIMENSION.service]: service, [DIMENSION.route]: route },
        statistic,
        period: PERIOD,
        ...(label ? { label } : {}),
      });
    /** One line per route that emits `name` on this stage. */
    const perRoute = (name: string, statistic: string, label = '') =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.route},${DIMENSION.service}} MetricName="${name}" ${DIMENSION.service}="${service}"', '${statistic}', ${PERIOD.toSeconds()})`,
        usingMetrics: {},
        period: PERIOD,
        label,
      });
    /** The stage's total of `name` over every route that emits it. */
    const total = (name: string, label: string, statistic = 'Sum') =>
      new MathExpression({
        expression: `SUM(${perRoute(name, statistic).expression})`,
        usingMetrics: {},
        period: PERIOD,
        label,
      });
    const graph = (title: string, left: IMetric[], options: { right?: IMetric[]; alarmAt?: number; width?: number } = {}) =>
      new GraphWidget({
        title,
        left,
        right: options.right ?? [],
        width: options.width ?? WIDE,
        height: HEIGHT,
        legendPosition: LegendPosition.BOTTOM,
        ...(options.alarmAt === undefined ? {} : { leftAnnotations: [{ value: options.alarmAt, label: 'alarm threshold' }] }),
      });
    const alarmNamed = (suffix: string) => props.alarms.find((a) => a.node.id === suffix);
    const alarmGraph = (alarmId: string, title: string): IWidget[] => {
      const alarm = alarmNamed(alarmId);
      return alarm ? [new AlarmWidget({ title, alarm, width: WIDE, height: HEIGHT })] : [];
    };

    const authorizer = props.authorizer;
    const fns = [...props.functions];
    const t = props.thresholds;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: service,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({
            markdown: [
              `# ${service}`,
              'Metrics: namespace `OrgsService`, dimensions `service` and `route` (README, Metrics). Organization and user are in each',
              "record's metadata and every log line: follow one with the saved queries in Logs Insights (README, Following an organization or a request).",
            ].join('\n'),
            width: 24,
            height: 2,
          }),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 })],
        [
          ...alarmGraph('ServerErrorRate', `API 5xx rate (alarm above ${t.serverErrorRatePercent} %)`),
          graph('API requests, 4xx and 5xx (API Gateway)', [
            props.api.metricCount({ period: PERIOD, statistic: 'Sum', label: 'requests' }),
            props.api.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
            props.api.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5xx' }),
          ]),
        ],
        [
          graph('Requests per route', [perRoute(REQUEST_METRIC.latency, 'SampleCount')]),
          graph('Latency p99 per route (ms)', [perRoute(REQUEST_METRIC.latency, 'p99')]),
        ],
        [
          graph('4xx answers per route', [perRoute(REQUEST_METRIC.clientError, 'Sum')]),
          graph('5xx answers per route', [perRoute(REQUEST_METRIC.serverError, 'Sum')]),
        ],
        [
          graph(
            'Authorizer: calls, denials, latency p99',
            [
              ours(REQUEST_METRIC.latency, authorizer, 'SampleCount', 'calls'),
              ours(REQUEST_METRIC.denied, authorizer, 'Sum', 'denied'),
              ours(REQUEST_METRIC.serverError, authorizer, 'Sum', 'failed'),
            ],
            { right: [ours(REQUEST_METRIC.latency, authorizer, 'p99', 'latency p99 (ms)')] },
          ),
          ...alarmGraph('AuthorizerErrors', `Authorizer errors (alarm at ${t.authorizerErrors})`),
        ],
        [
          graph('Database time per request, p50 per route (ms)', [perRoute(REQUEST_METRIC.databaseTime, 'p50')]),
          graph('Database time per request, p99 per route (ms)', [perRoute(REQUEST_METRIC.databaseTime, 'p99')]),
        ],
        [
          graph('Database calls per request, average per route', [perRoute(REQUEST_METRIC.databaseCalls, 'Average')]),
          graph('Cold starts per route', [perRoute(REQUEST_METRIC.coldStart, 'Sum')]),
        ],
        [
          graph(
            'Cache hit rates (right: share of look-ups served from the cache)',
            [
              total(CACHE_METRIC.placement, 'placement hits'),
              total(CACHE_METRIC.placement, 'placement look-ups', 'SampleCount'),
              ours(CACHE_METRIC.revocation, authorizer, 'Sum', 'revocation hits'),
              ours(CACHE_METRIC.revocation, authorizer, 'SampleCount', 'revocation look-ups'),
            ],
            {
              right: [
                perRoute(CACHE_METRIC.placement, 'Average', 'placement hit rate'),
                ours(CACHE_METRIC.revocation, authorizer, 'Average', 'revocation hit rate'),
                perRoute(CACHE_METRIC.keys, 'Average', 'keys hit rate'),
              ],
              width: 24,
            },
          ),
        ],
        [
          graph('Organizations and logins', [
            total(BUSINESS_METRIC.organizationCreated, 'organizations created'),
            total(BUSINESS_METRIC.organizationDeleted, 'organizations deleted'),
            total(BUSINESS_METRIC.loginFailed, 'logins failed'),
            total(BUSINESS_METRIC.lockout, 'logins locked out'),
          ]),
          graph(
            'Refresh-token reuse, fenced writes, moves, jobs',
            [
              total(BUSINESS_METRIC.refreshTokenReuse, 'refresh tokens reused'),
              total(BUSINESS_METRIC.fencedWrite, 'fenced writes'),
              total(BUSINESS_METRIC.moveCompleted, 'moves completed'),
              total(BUSINESS_METRIC.jobSucceeded, 'jobs succeeded'),
              total(BUSINESS_METRIC.jobFailed, 'jobs failed'),
            ],
            { right: [perRoute(DURATION_METRIC.move, 'Maximum', 'move duration, max (ms)')] },
          ),
        ],
        [
          graph(
            `Duration p99 per function (alarm above ${t.p99DurationMs} ms)`,
            fns.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name })),
            { alarmAt: t.p99DurationMs },
          ),
          graph(
            `Throttles per function (alarm at ${t.throttles})`,
            fns.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: name })),
            { alarmAt: t.throttles },
          ),
        ],
      ],
    });

    this.queries = new ServiceQueries(this, 'Queries', {
      prefix: service,
      functionLogs: props.functionLogs,
      accessLogs: props.accessLogs,
    }).queries;
  }
}
