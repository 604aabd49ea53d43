/**
 * Sending email. The service writes each message to the outbox first (see
 * `#core/invitations/outbox.ts`) and hands it to a {@link Mailer}: Amazon SES in AWS
 * (`./ses-mailer.ts`), a folder of files for `npm start` and the tests (`./mailbox-mailer.ts`).
 */

/** One plain-text email to one recipient. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  /** Sends `message`, or throws when it was not accepted for delivery (the outbox retries it). */
  send(message: MailMessage): Promise<void>;
}
