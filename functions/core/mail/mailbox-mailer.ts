import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mailer, MailMessage } from './mailer.ts';

/** A message as the local mailbox keeps it: one JSON file per message. */
export interface MailboxFile extends MailMessage {
  readonly from: string;
  /** ISO 8601. */
  readonly sentAt: string;
}

/**
 * A {@link Mailer} that delivers into a folder (`MAILBOX_DIR`, `.local/mailbox` by default): one
 * file `<ISO time>-<random>.json` per message holding a {@link MailboxFile}, so file names sort in
 * the order the messages were sent. For `npm start` and the tests; nothing leaves the machine. A
 * file appears whole (written aside, then renamed).
 */
export class MailboxMailer implements Mailer {
  readonly #dir: string;
  readonly #from: string;

  constructor(dir: string, from: string) {
    this.#dir = dir;
    this.#from = from;
  }

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const sentAt = new Date().toISOString();
    const name = `${sentAt.replaceAll(':', '-')}-${randomBytes(4).toString('hex')}.json`;
    const file: MailboxFile = { from: this.#from, to: message.to, subject: message.subject, text: message.text, sentAt };
    const path = join(this.#dir, name);
    await writeFile(`${path}.partial`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(`${path}.partial`, path);
  }
}
