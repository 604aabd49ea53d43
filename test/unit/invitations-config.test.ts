import { describe, expect, it } from 'vitest';
import { invitationsConfig, mailConfig } from '#core/config.ts';
import { hashInvitationSecret, INVITATION_SECRET_PATTERN, newInvitationSecret } from '#core/invitations/secret.ts';
import { invitationLink, invitationMessage } from '#core/mail/templates.ts';

describe('Invitation settings', () => {
  it('default to 7 days, 10,000 members and the local mailbox', () => {
    expect(invitationsConfig({})).toEqual({ ttlMs: 7 * 24 * 3_600_000, memberLimit: 10_000 });
    expect(mailConfig({})).toMatchObject({ mailer: 'mailbox', mailboxDir: '.local/mailbox' });
  });

  it('refuse bad values, naming each, and SES without a sender', () => {
    expect(() => invitationsConfig({ INVITATION_TTL_HOURS: '0', MEMBER_LIMIT: 'many' })).toThrow(
      /INVITATION_TTL_HOURS: must be at least 1\n.*MEMBER_LIMIT: must be a whole number/,
    );
    expect(() => mailConfig({ MAILER: 'ses' })).toThrow(/MAIL_FROM: set the sender address/);
    expect(() => mailConfig({ MAILER: 'smtp' })).toThrow(/MAILER: must be one of ses, mailbox/);
    expect(() => mailConfig({ INVITE_URL_BASE: 'javascript:alert(1)' })).toThrow(/INVITE_URL_BASE: must be an http or https URL/);
    expect(mailConfig({ MAILER: 'ses', MAIL_FROM: 'no-reply@acme.example' })).toMatchObject({ mailer: 'ses' });
  });
});

describe('Invitation secrets and messages', () => {
  it('are 43 base64url characters, stored as a SHA-256 in hex, never twice the same', () => {
    const a = newInvitationSecret();
    const b = newInvitationSecret();

    expect(a).toMatch(INVITATION_SECRET_PATTERN);
    expect(a).not.toBe(b);
    expect(hashInvitationSecret(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashInvitationSecret(a)).not.toBe(hashInvitationSecret(b));
  });

  it("put the token into the link, keeping the page's own query", () => {
    expect(invitationLink('https://app.example/join?lang=fr', 'abc_-1')).toBe('https://app.example/join?lang=fr&token=abc_-1');
    const message = invitationMessage({
      to: 'new@example.com',
      inviterEmail: 'owner@acme.example',
      organizationName: 'Acme Corp',
      role: 'admin',
      secret: 'abc_-1',
      urlBase: 'https://app.example/join',
      expiresAt: new Date('2030-01-08T00:00:00Z'),
    });
    expect(message.subject).toBe('You are invited to join Acme Corp');
    expect(message.text).toContain('owner@acme.example invited you to join Acme Corp as admin.');
    expect(message.text).toContain('https://app.example/join?token=abc_-1');
    expect(message.text).toContain('expires at 2030-01-08T00:00:00.000Z');
  });
});
