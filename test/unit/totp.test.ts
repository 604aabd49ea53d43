import { describe, expect, it } from 'vitest';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '#core/account/recovery-codes.ts';
import { matchTotpStep, newTotpSecret, totpCode } from '#core/account/totp.ts';

/** RFC 4648 base32 of ASCII text, written out here rather than taken from the library under test. */
function base32(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...Buffer.from(text)].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  return (bits.match(/.{1,5}/g) ?? []).map((chunk) => alphabet[Number.parseInt(chunk.padEnd(5, '0'), 2)]).join('');
}

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 Appendix B, SHA-1, key "12345678901234567890": 8-digit codes, whose last 6 digits are the
  // 6-digit codes (the truncation is modulo 10^digits, RFC 4226 §5.3).
  const secret = base32('12345678901234567890');
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('at T=%i the code is the last 6 digits of %s', (seconds, code8) => {
    expect(totpCode(secret, new Date(seconds * 1000))).toBe(code8.slice(2));
  });

  it('matches a code within one step either side and names its step; not two steps away', () => {
    const at = new Date(1111111111 * 1000);
    const step = Math.floor(1111111111 / 30);
    const code = totpCode(secret, at);

    expect(matchTotpStep(secret, code, at)).toBe(step);
    expect(matchTotpStep(secret, code, new Date(at.getTime() + 30_000))).toBe(step);
    expect(matchTotpStep(secret, code, new Date(at.getTime() - 30_000))).toBe(step);
    expect(matchTotpStep(secret, code, new Date(at.getTime() + 60_000))).toBeNull();
    expect(matchTotpStep(secret, '123456', at)).toBeNull();
  });

  it('makes 160-bit secrets in base32', () => {
    const made = newTotpSecret();
    expect(made).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(made);
  });
});

describe('Recovery codes', () => {
  it('are ten distinct xxxxx-xxxxx codes that normalize from any case, spacing or dashes', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
      const plain = normalizeRecoveryCode(code);
      expect(normalizeRecoveryCode(` ${code.toUpperCase().replace('-', '  ')} `)).toBe(plain);
      expect(hashRecoveryCode(plain ?? '')).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(normalizeRecoveryCode('123456')).toBeNull();
    expect(normalizeRecoveryCode('abcde-fghi0')).toBeNull(); // 0 is not in the alphabet
  });
});
