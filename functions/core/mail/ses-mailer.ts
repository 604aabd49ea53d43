import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer, MailMessage } from './mailer.ts';

/**
 * A {@link Mailer} on Amazon SES (API v2, `SendEmail`), from the verified identity `from`
 * (`MAIL_FROM`). The function's role may send from the stage's identity only (see lib/needs.ts).
 * The SDK is the one the Lambda runtime provides (kept out of the bundles, see lib/endpoint-function.ts),
 * loaded on the first send.
 */
export class SesMailer implements Mailer {
  readonly #from: string;
  #client?: Promise<{ client: SESv2Client; SendEmailCommand: typeof import('@aws-sdk/client-sesv2').SendEmailCommand }>;

  constructor(from: string) {
    this.#from = from;
  }

  async send(message: MailMessage): Promise<void> {
    this.#client ??= import('@aws-sdk/client-sesv2').then((sdk) => ({
      client: new sdk.SESv2Client({}),
      SendEmailCommand: sdk.SendEmailCommand,
    }));
    const { client, SendEmailCommand } = await this.#client;
    await client.send(
      new SendEmailCommand({
        FromEmailAddress: this.#from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}
