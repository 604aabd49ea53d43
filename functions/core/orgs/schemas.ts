import { z } from 'zod';
import { newPassword } from '../auth/passwords.ts';
import { NAME_MAX, NAME_MIN, toSlug } from './model.ts';

/** Field rules shared by the endpoints' contracts, so every route checks a name or email the same way. */

export const organizationName = z
  .string()
  .trim()
  .min(NAME_MIN, `must be at least ${NAME_MIN} characters`)
  .max(NAME_MAX, `must be at most ${NAME_MAX} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not contain control characters')
  .refine((name) => toSlug(name).length > 0, 'must contain a letter or a digit')
  .meta({
    description: 'Trimmed, 3 to 64 characters; unique by its slug (lower case, accents removed, other runs folded to _).',
  });

export const email = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.email('must be a valid email address'))
  .meta({ format: 'email', description: 'Stored in lower case; one admin per email.' });

/** A new password: the rules live with the hashing (`#core/auth/passwords.ts`). */
export const password = newPassword;

/** `?organization_name=` as the public and delete routes take it. */
export const OrganizationNameQuery = z.strictObject({ organization_name: organizationName });

const objectId = z.string().regex(/^[0-9a-f]{24}$/);

/** An organization's public metadata. */
export const PublicOrganization = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    collection_name: z.string(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Organization' });

export const CreatedOrganization = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    collection_name: z.string(),
    admin_email: z.string(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'CreatedOrganization' });

export const DeletedOrganization = z
  .strictObject({ deleted: z.literal(true), organization_name: z.string() })
  .meta({ id: 'DeletedOrganization' });

export const Tokens = z
  .strictObject({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    refresh_expires_in: z.number().int(),
    organization_id: objectId,
    organization_name: z.string(),
  })
  .meta({ id: 'Tokens' });

/** The example organization every contract's example refers to. */
export const EXAMPLE = {
  name: 'Acme Corp',
  renamed: 'Acme Global',
  email: 'admin@acme.example',
  password: 'correct horse battery',
} as const;
