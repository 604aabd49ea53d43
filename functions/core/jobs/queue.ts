/**
 * The wake-up of the job worker: "look at job `jobId` in `delaySeconds`". It carries nothing else;
 * the job document is the truth, so a message lost or delivered twice does no harm (the reconciler
 * sends again for a job nobody works on, and a second worker finds the job's lease taken).
 */
export interface JobQueue {
  /**
   * Asks for job `jobId` to be worked on after `delaySeconds` (0 to 900: SQS's `DelaySeconds` bound).
   *
   * @throws a transport failure; the caller logs it and the reconciler's sweep sends it again.
   */
  send(jobId: string, delaySeconds: number): Promise<void>;
}

/** The longest delay a wake-up can carry, in seconds (SQS `DelaySeconds`, AWS SQS API Reference). */
export const MAX_DELAY_SECONDS = 900;
