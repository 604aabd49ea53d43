import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  BUSINESS_METRIC,
  type BusinessDuration,
  type BusinessEvent,
  CACHE_METRIC,
  type CacheName,
  DIMENSION,
  DURATION_METRIC,
  METRICS_NAMESPACE,
  REQUEST_METRIC,
} from './metric-names.ts';
import { currentRequest, type Measurement, type RequestContext } from './request-context.ts';

/**
 * Metrics in CloudWatch's Embedded Metric Format through Powertools for AWS Lambda's Metrics: each
 * invocation writes one JSON line to stdout when it ends, and CloudWatch Logs turns it into metrics
 * (no API call, nothing to wait for). The names, dimensions and the reason the organization is
 * metadata rather than a dimension are in `metric-names.ts`.
 *
 * Measurements are taken into the current request context and published by {@link publishRequest};
 * one taken outside an invocation (a script, a unit test) is dropped. `POWERTOOLS_METRICS_DISABLED`
 * (or `POWERTOOLS_DEV`, which the local API and the tests set) turns the output off.
 */

/** Powertools' Metrics, telling whether its output is off (which Powertools keeps to subclasses). */
class ServiceMetrics extends Metrics {
  get off(): boolean {
    return this.isDisabled();
  }
}

const emf = new ServiceMetrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'orgs-service',
});

let firstInvocation = true;

function take(name: string, unit: Measurement['unit'], value: number): void {
  currentRequest()?.measurements.push({ name, unit, value });
}

/**
 * What the service's code counts, one call where the thing happens.
 *
 * @example
 * metrics.count('organizationCreated');
 * metrics.cacheLookup('placement', hit);
 */
export const metrics = {
  /** One business event (see {@link BUSINESS_METRIC}). */
  count(event: BusinessEvent): void {
    take(BUSINESS_METRIC[event], 'Count', 1);
  },
  /** How long a business operation took, in ms (see {@link DURATION_METRIC}). */
  duration(name: BusinessDuration, ms: number): void {
    take(DURATION_METRIC[name], 'Milliseconds', Math.max(0, ms));
  },
  /** One look-up in a cache: hit or miss (see {@link CACHE_METRIC}). */
  cacheLookup(cache: CacheName, hit: boolean): void {
    take(CACHE_METRIC[cache], 'Count', hit ? 1 : 0);
  },
  /** The status the invocation answered with: counts 4xx and 5xx (see {@link REQUEST_METRIC}). */
  status(status: number): void {
    take(REQUEST_METRIC.clientError, 'Count', status >= 400 && status < 500 ? 1 : 0);
    take(REQUEST_METRIC.serverError, 'Count', status >= 500 ? 1 : 0);
  },
  /** The authorizer's decision. */
  authorizerDecision(allowed: boolean): void {
    take(REQUEST_METRIC.denied, 'Count', allowed ? 0 : 1);
  },
};

/** Adds one database call (a store call, `callDatabase`) of `durationMs` to the current invocation's database time. */
export function recordDatabaseCall(durationMs: number): void {
  const request = currentRequest();
  if (!request) return;
  request.databaseMs += durationMs;
  request.databaseCalls += 1;
}

const unitOf = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

/**
 * Writes the invocation's metrics as one EMF line: its latency (`latencyMs`), its database time and
 * calls, a cold start, and every measurement taken during it, with dimensions `service` and `route`,
 * and the caller's organization and user and the correlation id as metadata. Nothing is done when
 * metrics are off (`POWERTOOLS_METRICS_DISABLED`, `POWERTOOLS_DEV`): the line would not be written.
 */
export function publishRequest(request: RequestContext, latencyMs: number): void {
  if (emf.off) return;
  emf.addDimension(DIMENSION.route, request.route);
  if (request.correlationId) emf.addMetadata('correlation_id', request.correlationId);
  if (request.orgId) emf.addMetadata('orgId', request.orgId);
  if (request.userId) emf.addMetadata('userId', request.userId);
  emf.addMetric(REQUEST_METRIC.latency, MetricUnit.Milliseconds, latencyMs);
  emf.addMetric(REQUEST_METRIC.databaseTime, MetricUnit.Milliseconds, request.databaseMs);
  emf.addMetric(REQUEST_METRIC.databaseCalls, MetricUnit.Count, request.databaseCalls);
  if (firstInvocation) emf.addMetric(REQUEST_METRIC.coldStart, MetricUnit.Count, 1);
  firstInvocation = false;
  for (const m of request.measurements) emf.addMetric(m.name, unitOf[m.unit], m.value);
  emf.publishStoredMetrics();
}
