import type { MailMessage } from '../mail/mailer.ts';

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
  const url = new URL(urlBase);
  url.searchParams.set('token', secret);
  return url.toString();
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
