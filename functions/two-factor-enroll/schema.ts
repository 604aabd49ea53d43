import { currentPassword } from '#core/account/schemas.ts';
import { contract } from '#core/http/contract.ts';
import { EXAMPLE } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: { body: z.strictObject({ password: currentPassword }) },
  success: {
    status: 200,
    description:
      'A new TOTP secret, shown this once: type `secret` or scan `qr_code` (the `otpauth_uri` as an SVG image) into an authenticator app, then confirm with a code.',
    body: z.strictObject({
      secret: z.string().check(z.meta({ description: 'Base32 (RFC 4648).' })),
      otpauth_uri: z.string(),
      qr_code: z.string().check(z.meta({ description: 'A data: URL of an SVG image.' })),
    }),
  },
  errors: [400, 401, 403, 409, 413, 415, 429, 503],
  errorDescriptions: {
    403: 'The password is not yours (wrong_password); it counts toward the login lockout.',
    409: 'Two-factor authentication is on already (two_factor_enabled).',
  },
  example: { body: { password: EXAMPLE.password } },
});
