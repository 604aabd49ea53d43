import { errorFields, log } from '../log.ts';
import type { Mailer, MailMessage } from './mailer.ts';

/**
 * The outbox: every email is written to the master database (`outbox`) before it is sent, so a
 * message survives a failed send or a function that dies. The request that writes it tries to send
 * it at once; the reconciler (every 5 minutes) sends what is still due, a bounded batch a run, with
 * exponential backoff between attempts, and gives a message up after {@link OutboxSettings.maxAttempts}.
 * Once a message is sent or given up on, its body (which may hold a secret, such as an invitation
 * link) is removed from the database; the logs never carry it.
 *
 * Delivery is at least once: a send whose outcome was lost (the function died after SES accepted
 * it) is sent again.
 */

/** An email waiting in the outbox (or sent: then `text` is gone). */
export interface OutboxMessage extends Omit<MailMessage, 'text'> {
  /** 24 hex digits. */
  readonly id: string;
  /** Plain text; removed once sent or given up on. */
  readonly text?: string;
  /** What the message is about, for the logs (for example `invitation:<id>`). */
  readonly about?: string;
  readonly attempts: number;
  readonly createdAt: Date;
  /** The earliest time the next attempt may run. */
  readonly nextAttemptAt: Date;
  readonly sentAt?: Date;
  /** Set when delivery was given up on. */
  readonly failedAt?: Date;
}

export interface OutboxStore {
  insert(message: OutboxMessage): Promise<void>;
  /**
   * Up to `limit` unsent messages whose next attempt is due at `now`, oldest due first; each is
   * leased (its `nextAttemptAt` moved to `now + leaseMs`) before it is returned, so a concurrent
   * drain normally skips it (on a server whose updates are not atomic two drains may both send it:
   * at least once).
   */
  takeDue(now: Date, limit: number, leaseMs: number): Promise<OutboxMessage[]>;
  /** Marks the message sent and removes its body. */
  sent(id: string, at: Date): Promise<void>;
  /** Records a failed attempt; the next one is due at `nextAttemptAt`. */
  failed(id: string, attempts: number, nextAttemptAt: Date): Promise<void>;
  /** Gives the message up: removes its body and records when. */
  abandoned(id: string, attempts: number, at: Date): Promise<void>;
}

export interface OutboxSettings {
  /** Attempts before a message is given up; default 8. */
  readonly maxAttempts?: number;
  /** Delay after the first failed attempt, doubled after each further one (ms); default 1 minute. */
  readonly baseDelayMs?: number;
  /** The longest delay between attempts (ms); default 6 hours. */
  readonly maxDelayMs?: number;
  /** Messages one drain sends at most; default 50. */
  readonly batchSize?: number;
  /** How long a taken message is left to its sender before another drain may take it (ms); default 5 minutes. */
  readonly leaseMs?: number;
  readonly now?: () => Date;
}

/** What one drain did. */
export interface DrainReport {
  readonly sent: number;
  readonly failed: number;
  readonly abandoned: number;
}

export class Outbox {
  readonly #store: OutboxStore;
  readonly #mailer: () => Promise<Mailer>;
  readonly #now: () => Date;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #batchSize: number;
  readonly #leaseMs: number;

  constructor(store: OutboxStore, mailer: () => Promise<Mailer>, settings: OutboxSettings = {}) {
    this.#store = store;
    this.#mailer = mailer;
    this.#now = settings.now ?? (() => new Date());
    this.#maxAttempts = settings.maxAttempts ?? 8;
    this.#baseDelayMs = settings.baseDelayMs ?? 60_000;
    this.#maxDelayMs = settings.maxDelayMs ?? 6 * 3_600_000;
    this.#batchSize = settings.batchSize ?? 50;
    this.#leaseMs = settings.leaseMs ?? 300_000;
  }

  /**
   * Writes `message` to the outbox, leased to this caller, and tries to send it at once. A failed
   * send is recorded for the reconciler and not thrown; a failed write is thrown (nothing was sent).
   *
   * @returns true when it was sent now.
   */
  async enqueueAndSend(id: string, message: MailMessage, about?: string): Promise<boolean> {
    const now = this.#now();
    const queued: OutboxMessage = {
      id,
      ...message,
      ...(about ? { about } : {}),
      attempts: 0,
      createdAt: now,
      nextAttemptAt: new Date(now.getTime() + this.#leaseMs),
    };
    await this.#store.insert(queued);
    return (await this.#attempt(queued)) === 'sent';
  }

  /** Sends the messages that are due, one batch; each outcome is recorded, none is thrown. */
  async drain(): Promise<DrainReport> {
    const due = await this.#store.takeDue(this.#now(), this.#batchSize, this.#leaseMs);
    const counts = { sent: 0, failed: 0, abandoned: 0 };
    for (const message of due) counts[await this.#attempt(message)] += 1;
    return counts;
  }

  /** The delay before attempt `attempts + 1` after `attempts` failed ones (ms). */
  delayAfter(attempts: number): number {
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** Math.max(0, attempts - 1));
  }

  async #attempt(message: OutboxMessage): Promise<'sent' | 'failed' | 'abandoned'> {
    const attempts = message.attempts + 1;
    const fields = { messageId: message.id, about: message.about, attempt: attempts };
    try {
      if (message.text === undefined) throw new Error('the message has no body');
      await (await this.#mailer()).send({ to: message.to, subject: message.subject, text: message.text });
    } catch (error) {
      const now = this.#now();
      try {
        if (attempts >= this.#maxAttempts || message.text === undefined) {
          await this.#store.abandoned(message.id, attempts, now);
          log.error('email given up', { ...fields, ...errorFields(error) });
          return 'abandoned';
        }
        await this.#store.failed(message.id, attempts, new Date(now.getTime() + this.delayAfter(attempts)));
      } catch (recordError) {
        log.warn('email attempt not recorded', { ...fields, ...errorFields(recordError) }); // the lease frees it
      }
      log.warn('email not sent; will retry', { ...fields, ...errorFields(error) });
      return 'failed';
    }
    try {
      await this.#store.sent(message.id, this.#now());
    } catch (error) {
      log.warn('email sent but not recorded', { ...fields, ...errorFields(error) });
    }
    return 'sent';
  }
}
