import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailboxFile } from '#core/mail/mailbox-mailer.ts';

/** Reading the local mailbox folder (`MAILBOX_DIR`) the mailbox mailer writes, as a user of `npm start` would. */

/** Every message in `dir`, oldest first; none when the folder does not exist yet. */
export async function mailboxMessages(dir: string): Promise<MailboxFile[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((name) => name.endsWith('.json')).sort();
  return Promise.all(files.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as MailboxFile));
}

/** The invitation secret in a message's link (`?token=<43 base64url characters>`). */
export function tokenIn(text: string): string {
  const match = /[?&]token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/.exec(text);
  if (!match?.[1]) throw new Error('no invitation link in the message');
  return match[1];
}

/** The secret of the latest invitation sent to `to`. */
export async function latestInvitationToken(dir: string, to: string): Promise<string> {
  const mine = (await mailboxMessages(dir)).filter((m) => m.to === to);
  const last = mine.at(-1);
  if (!last) throw new Error(`no message to ${to} in ${dir}`);
  return tokenIn(last.text);
}
