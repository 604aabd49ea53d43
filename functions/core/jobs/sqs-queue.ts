import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JobQueue } from './queue.ts';

/**
 * Amazon SQS as the job worker's wake-up: one message per wake-up, body `{"jobId": "…"}`,
 * `DelaySeconds` the backoff (0–900, SQS API Reference, SendMessage). The queue's event source mapping
 * invokes the worker; a message the worker cannot handle goes to the dead-letter queue after the
 * queue's `maxReceiveCount`. The SDK is the one the Lambda runtime provides, loaded on first use.
 */
export class SqsJobQueue implements JobQueue {
  readonly #queueUrl: string;
  #sdk?: Promise<{ client: SQSClient; SendMessageCommand: typeof import('@aws-sdk/client-sqs').SendMessageCommand }>;

  /** `queueUrl`: the queue's URL (`JOB_QUEUE_URL`). */
  constructor(queueUrl: string) {
    this.#queueUrl = queueUrl;
  }

  async send(jobId: string, delaySeconds: number): Promise<void> {
    this.#sdk ??= import('@aws-sdk/client-sqs').then((sdk) => ({
      client: new sdk.SQSClient({}),
      SendMessageCommand: sdk.SendMessageCommand,
    }));
    const { client, SendMessageCommand } = await this.#sdk;
    await client.send(
      new SendMessageCommand({
        QueueUrl: this.#queueUrl,
        MessageBody: JSON.stringify({ jobId }),
        DelaySeconds: Math.round(delaySeconds),
      }),
    );
  }
}

/**
 * The job id of a wake-up message body, or null when the body is not one (a message put there by
 * hand): the worker drops such a message rather than retrying it.
 */
export function jobIdOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { jobId?: unknown };
    return typeof parsed.jobId === 'string' && /^[0-9a-f]{24}$/.test(parsed.jobId) ? parsed.jobId : null;
  } catch {
    return null;
  }
}
