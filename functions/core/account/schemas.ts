import * as z from '../zod.ts';
import { ONE_TIME_SECRET_PATTERN } from './one-time-secret.ts';

/** The request and response shapes of the account security routes, shared by their contracts. */

/** A secret from an email link or a login challenge: 43 base64url characters. */
export const oneTimeSecret = z
  .string()
  .check(z.regex(ONE_TIME_SECRET_PATTERN), z.meta({ description: 'The secret from the link (its `token` query parameter).' }));

/** A TOTP code (6 digits) or a recovery code (`xxxxx-xxxxx`, case, spaces and dashes ignored). */
export const secondFactorCode = z
  .string()
  .check(
    z.minLength(6),
    z.maxLength(32),
    z.meta({ description: 'A 6-digit code from the authenticator app, or one of the recovery codes.' }),
  );

/** A password as typed, checked against the stored hash (never against today's rules). */
export const currentPassword = z.string().check(z.minLength(1), z.maxLength(1024));

/** Login's answer for a user with two-factor authentication on. */
export const SecondFactorRequired = z
  .strictObject({
    two_factor_required: z.literal(true),
    challenge: z.string().check(z.meta({ description: 'Send it with a code to POST /login/two-factor.' })),
    challenge_expires_in: z.int().check(z.meta({ description: 'Seconds the challenge stays valid.' })),
  })
  .check(z.meta({ id: 'SecondFactorRequired' }));

/** What the profile and the email routes say of the caller's address. */
export const EmailStatus = z
  .strictObject({
    email: z.string(),
    email_verified: z.boolean(),
    pending_email: z.optional(z.string().check(z.meta({ description: 'The address the account moves to once it is verified.' }))),
  })
  .check(z.meta({ id: 'EmailStatus' }));
