import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUSINESS_METRIC, DIMENSION, METRICS_NAMESPACE } from '../functions/core/metric-names.ts';

export interface JobQueueProps {
  /** Prefix of the queues' names. */
  readonly prefix: string;
  /** The worker's timeout: the queue's visibility timeout is six times it. */
  readonly workerTimeout: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The job worker's wake-up queue and its dead-letter queue. Why SQS and a worker function rather
 * than Step Functions: a job's state (its checkpoint, attempts, lease) must live in the database
 * anyway, fenced by the worker's token, for the routes and the operator to read and for a step to
 * resume from; the queue only wakes the worker, with `DelaySeconds` as the backoff, so a lost wake-up
 * is sent again by the reconciler's sweep. A state machine would keep a second copy of that state,
 * pay per transition (a 200,000-record move is 200 steps), and could not run inside `npm start`.
 *
 * Settings from the AWS Lambda developer guide ("Using Lambda with Amazon SQS"): visibility timeout
 * six times the function timeout; one message a batch (a job is one unit of work); partial batch
 * responses; a message the worker fails on 5 times goes to the dead-letter queue (kept 14 days).
 */
export class JobQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      queueName: `${props.prefix}-jobs-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: `${props.prefix}-jobs`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.workerTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
  }

  /** Makes `worker` the queue's consumer: one message a batch, partial batch responses. */
  addWorker(worker: IFunction): void {
    worker.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }));
  }

  /** Jobs that failed for good in the worker, per 5 minutes (the `JobsFailed` count of `#core/metrics.ts`). */
  metricFailedJobs(service: string, route: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: BUSINESS_METRIC.jobFailed,
      dimensionsMap: { [DIMENSION.service]: service, [DIMENSION.route]: route },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }
}
