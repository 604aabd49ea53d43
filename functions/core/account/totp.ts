import { Secret, TOTP } from 'otpauth';
import qrcode from 'qrcode-generator';

/**
 * Time-based one-time passwords (TOTP, RFC 6238) with the parameters every authenticator app
 * accepts: HMAC-SHA-1, 6 digits, a 30-second step, a 160-bit secret (RFC 4226 §4 recommends at least
 * 128). The arithmetic is the `otpauth` library's; this module fixes the parameters and says which
 * time step a code matched, which the replay rule needs.
 */

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps either side of now a code may come from: clocks drift and people type slowly (RFC 6238 §5.2). */
export const TOTP_WINDOW = 1;

/** A new shared secret, base32 (RFC 4648 §6) as `otpauth://` URIs carry it. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpOf(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/**
 * The `otpauth://totp/...` URI an authenticator app imports (Key Uri Format), naming the service
 * (`issuer`) and the account (`label`, the user's email).
 */
export function otpauthUri(secret: string, issuer: string, label: string): string {
  return totpOf(secret, issuer, label).toString();
}

/** The code for `secret` at `at` (tests and tools). */
export function totpCode(secret: string, at: Date): string {
  return totpOf(secret).generate({ timestamp: at.getTime() });
}

/**
 * The time step (seconds since the epoch / 30) whose code `code` is, within {@link TOTP_WINDOW} steps
 * of `at`; null when it matches none.
 */
export function matchTotpStep(secret: string, code: string, at: Date): number | null {
  const delta = totpOf(secret).validate({ token: code, timestamp: at.getTime(), window: TOTP_WINDOW });
  return delta === null ? null : Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/**
 * `text` (an `otpauth://` URI) as a QR code, an SVG image in a `data:` URL that a page can put in an
 * `<img src>` as it is (the `qrcode-generator` library; error correction level M).
 */
export function qrCodeDataUrl(text: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  return `data:image/svg+xml;base64,${Buffer.from(qr.createSvgTag({ cellSize: 4, margin: 4, scalable: true })).toString('base64')}`;
}
