import { fullFormats } from 'ajv-formats/dist/formats.js';
import { newPassword } from '../auth/passwords.ts';
import * as z from '../zod.ts';
import { NAME_MAX, NAME_MIN, nameProblem, SLUG_MAX } from './names.ts';

/** Field rules shared by the endpoints' contracts, so every route checks a name or email the same way. */

export const organizationName = z.string().check(
  z.trim(),
  z.superRefine((name, ctx) => {
    const problem = nameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  z.meta({
    minLength: NAME_MIN,
    maxLength: NAME_MAX,
    description:
      `Trimmed, ${NAME_MIN} to ${NAME_MAX} characters (Unicode code points), with a letter or digit in any script. ` +
      'Refused: control, format and invisible characters (bidirectional controls, zero-width spaces, variation ' +
      'selectors, tags; ZWJ/ZWNJ only inside words of scripts that use them), line separators, private-use, ' +
      'unassigned and noncharacter code points, combining marks without a base. Two names are one organization ' +
      'when they are equal after NFKC, case folding, removal of Latin and Greek accents, and folding of every ' +
      `run of spaces, punctuation and symbols; that form must be at most ${SLUG_MAX} characters.`,
  }),
);

/**
 * The email rule is JSON Schema's `format: email` exactly as ajv-formats checks it (its full mode): an
 * RFC 5322 dot-atom local part (letters, digits and ``!#$%&'*+/=?^_`{|}~-``, dots between) and an
 * RFC 1034 host name of two or more labels. ASCII only: internationalized addresses (RFC 6531, JSON
 * Schema's `idn-email`) are refused; give an internationalized domain in its `xn--` form.
 */
const EMAIL = fullFormats.email as RegExp;

/**
 * {@link EMAIL} as a JSON Schema `pattern` (which has no flags: the letters are spelled in both cases),
 * so the document states the rule a client can check.
 */
export const EMAIL_PATTERN = EMAIL.source.replaceAll('a-z', 'a-zA-Z');

export const email = z.string().check(
  z.trim(),
  z.maxLength(254, 'must be at most 254 characters'),
  z.toLowerCase(),
  z.refine((value) => EMAIL.test(value), 'must be a valid email address (ASCII: local@host.example)'),
  // `pattern` states the rule exactly; `format: email` is left out of the document because format
  // checkers disagree on the edges (a numeric top-level label, quoted local parts).
  z.meta({
    pattern: EMAIL_PATTERN,
    description:
      "Trimmed, at most 254 characters, stored in lower case; one admin per email. JSON Schema's format: email " +
      "(ajv-formats): a dot-atom local part (letters, digits and !#$%&'*+/=?^_`{|}~-) @ a host name with a dot. " +
      'ASCII only: internationalized addresses (RFC 6531) are refused; write an internationalized domain as xn--.',
  }),
);

/**
 * The characters `String.prototype.trim` removes (ECMAScript's WhiteSpace and LineTerminator), spelled
 * out for JSON Schema patterns, whose engines disagree on what `\s` means.
 */
const TRIMMED = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A `pattern` for a trimmed field that may not be empty: at least one character trimming keeps. */
export const NOT_BLANK_PATTERN = `[^${TRIMMED}]`;

/** A new password: the rules live with the hashing (`#core/auth/passwords.ts`). */
export const password = newPassword;

/** `?organization_name=` as the public and delete routes take it. */
export const OrganizationNameQuery = z.strictObject({ organization_name: organizationName });

/** A 24-digit hex id (a MongoDB ObjectId). */
export const objectId = z.string().check(z.regex(/^[0-9a-f]{24}$/));

/** An organization's public metadata. */
export const PublicOrganization = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    collection_name: z.string(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .check(z.meta({ id: 'Organization' }));

export const CreatedOrganization = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    collection_name: z.string(),
    admin_email: z.string(),
    created_at: z.iso.datetime(),
  })
  .check(z.meta({ id: 'CreatedOrganization' }));

export const DeletedOrganization = z
  .strictObject({
    archived: z.literal(true),
    organization_name: z.string(),
    purge_after: z.iso
      .datetime()
      .check(
        z.meta({ description: 'Until then its owner can restore it (POST /me/organizations/restore); after it, it is purged.' }),
      ),
  })
  .check(z.meta({ id: 'DeletedOrganization' }));

/** An archived organization its owner may restore, as `/me` lists it. */
export const ArchivedOrganization = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    archived_at: z.iso.datetime(),
    purge_after: z.iso.datetime().check(z.meta({ description: 'The end of the retention window: restorable until then.' })),
    legal_hold: z.boolean(),
  })
  .check(z.meta({ id: 'ArchivedOrganization' }));

/** The body of POST /me/organizations/restore. */
export const RestoreRequest = z.strictObject({
  organization_id: objectId.check(z.meta({ description: 'An archived organization you own (see GET /me).' })),
});

export const RestoredOrganization = z
  .strictObject({ restored: z.literal(true), organization_id: objectId, organization_name: z.string() })
  .check(z.meta({ id: 'RestoredOrganization' }));

/** One organization of the caller's, with the caller's role there. */
export const OrganizationChoice = z
  .strictObject({
    organization_id: objectId,
    organization_name: z.string(),
    role: z.string(),
  })
  .check(z.meta({ id: 'OrganizationChoice' }));

export const Tokens = z
  .strictObject({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.int(),
    refresh_token: z.string(),
    refresh_expires_in: z.int(),
    organization_id: objectId.check(z.meta({ description: 'The active organization the tokens are for.' })),
    organization_name: z.string(),
    role: z.string().check(z.meta({ description: "The caller's role in the active organization." })),
    organization_archived: z.optional(
      z.literal(true).check(
        z.meta({
          description:
            'The organization is deleted (archived) and the user owns it: these tokens only manage the account and restore it (POST /me/organizations/restore).',
        }),
      ),
    ),
    organizations: z.optional(
      z
        .array(OrganizationChoice)
        .check(z.meta({ description: 'Every organization the user belongs to (login and switch only).' })),
    ),
  })
  .check(z.meta({ id: 'Tokens' }));

/** The example organization every contract's example refers to. */
export const EXAMPLE = {
  name: 'Acme Corp',
  renamed: 'Acme Global',
  email: 'admin@acme.example',
  password: 'correct horse battery',
} as const;
