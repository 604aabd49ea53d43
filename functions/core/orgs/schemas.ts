import { z } from 'zod';
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS, passwordTooLong } from '../auth/passwords.ts';
import { NAME_MAX, NAME_MIN, toSlug } from './model.ts';

/** Field rules shared by the endpoints' schemas, so every route checks a name or email the same way. */

export const organizationName = z
  .string()
  .trim()
  .min(NAME_MIN, `must be at least ${NAME_MIN} characters`)
  .max(NAME_MAX, `must be at most ${NAME_MAX} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), 'must not contain control characters')
  .refine((name) => toSlug(name).length > 0, 'must contain a letter or a digit');

export const email = z.string().trim().max(254).toLowerCase().pipe(z.email('must be a valid email address'));

export const password = z
  .string()
  .min(PASSWORD_MIN_CHARS, `must be at least ${PASSWORD_MIN_CHARS} characters`)
  .refine((value) => !passwordTooLong(value), `must be at most ${PASSWORD_MAX_BYTES} bytes in UTF-8`);

/** `?organization_name=` as the public and delete routes take it. */
export const OrganizationNameQuery = z.strictObject({ organization_name: organizationName });
