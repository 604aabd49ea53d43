import type { MailMessage } from './mailer.ts';

/**
 * Every email the service sends, in one place: plain text, one function per message, each taking
 * what it shows. Links are the stage's application pages with `token=<secret>` added to the query;
 * the secret appears nowhere else (never in a subject, never in a log line).
 */

/** `urlBase` with `token=<secret>` added to its query. */
export function linkWithToken(urlBase: string, secret: string): string {
  const url = new URL(urlBase);
  url.searchParams.set('token', secret);
  return url.toString();
}

/** The invitation email: who invited whom to which organization with which role, and the link. */
export interface InvitationMailInput {
  readonly to: string;
  readonly inviterEmail: string;
  readonly organizationName: string;
  readonly role: string;
  /** The secret; the link is `<urlBase>?token=<secret>`. */
  readonly secret: string;
  /** `INVITE_URL_BASE`: the page of the application that accepts invitations. */
  readonly urlBase: string;
  readonly expiresAt: Date;
}

/** The link an invitation email carries: `urlBase` with `token=<secret>` added to its query. */
export function invitationLink(urlBase: string, secret: string): string {
  return linkWithToken(urlBase, secret);
}

/** The plain-text invitation email. */
export function invitationMessage(input: InvitationMailInput): MailMessage {
  const link = invitationLink(input.urlBase, input.secret);
  return {
    to: input.to,
    subject: `You are invited to join ${input.organizationName}`,
    text: [
      `${input.inviterEmail} invited you to join ${input.organizationName} as ${input.role}.`,
      '',
      'Accept the invitation here:',
      link,
      '',
      `The link works once and expires at ${input.expiresAt.toISOString()}.`,
      'If you did not expect this invitation, ignore this email.',
      '',
    ].join('\n'),
  };
}

/** The password reset email for an address a user has: the single-use link and when it expires. */
export function passwordResetMessage(input: { to: string; secret: string; urlBase: string; expiresAt: Date }): MailMessage {
  return {
    to: input.to,
    subject: 'Reset your password',
    text: [
      'Someone (we hope you) asked to reset the password of the account with this email address.',
      '',
      'Choose a new password here:',
      linkWithToken(input.urlBase, input.secret),
      '',
      `The link works once and expires at ${input.expiresAt.toISOString()}. Using it signs you out everywhere.`,
      'If you did not ask for this, ignore this email: your password stays as it is.',
      '',
    ].join('\n'),
  };
}

/**
 * The answer to a reset asked for an address no user has. Sending it keeps the request's work (and
 * time) the same whoever asks, and tells a person who forgot which address they used.
 */
export function passwordResetUnknownMessage(input: { to: string }): MailMessage {
  return {
    to: input.to,
    subject: 'Reset your password',
    text: [
      'Someone (we hope you) asked to reset a password for this email address, but no account uses it.',
      '',
      'If you have an account, you may have signed up with another address.',
      'If you did not ask for this, ignore this email.',
      '',
    ].join('\n'),
  };
}

/** The link that proves an address: at sign-up (`change: false`) or for a new address (`change: true`). */
export function emailVerificationMessage(input: {
  to: string;
  secret: string;
  urlBase: string;
  expiresAt: Date;
  change: boolean;
}): MailMessage {
  return {
    to: input.to,
    subject: input.change ? 'Confirm your new email address' : 'Confirm your email address',
    text: [
      input.change
        ? 'Someone (we hope you) asked to move an account to this email address. It moves once you confirm:'
        : 'Confirm that this email address is yours:',
      linkWithToken(input.urlBase, input.secret),
      '',
      `The link works once and expires at ${input.expiresAt.toISOString()}.`,
      'If you did not expect this, ignore this email.',
      '',
    ].join('\n'),
  };
}

/** The notice to the old address when an email change is asked for (`done: false`) or has happened (`done: true`). */
export function emailChangeNoticeMessage(input: { to: string; newEmail: string; done: boolean }): MailMessage {
  return {
    to: input.to,
    subject: input.done ? 'Your email address was changed' : 'A change of your email address was asked for',
    text: [
      input.done
        ? `The email address of your account is now ${input.newEmail}; this address no longer signs in.`
        : `Someone signed in to your account asked to change its email address to ${input.newEmail}. Nothing changes until that address confirms.`,
      '',
      'If this was not you, reset your password at once: a reset signs out every session.',
      '',
    ].join('\n'),
  };
}
