import { once } from '../cache.ts';
import type { MailConfig } from '../config.ts';
import { MailboxMailer } from '../mail/mailbox-mailer.ts';
import type { Mailer } from '../mail/mailer.ts';
import { SesMailer } from '../mail/ses-mailer.ts';

/** The mailer `MAILER` names: Amazon SES (`ses`, the stack's choice) or the local mailbox folder (`mailbox`). */
export function mailerFor(config: MailConfig): () => Promise<Mailer> {
  return once(async () =>
    config.mailer === 'ses' ? new SesMailer(config.from) : new MailboxMailer(config.mailboxDir, config.from),
  );
}
