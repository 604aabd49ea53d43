import { type FieldIssue, ValidationError } from '../errors.ts';
import { toPointer } from './pointer.ts';

/**
 * Request bodies as I-JSON (RFC 7493): JSON text (RFC 8259) in which every name, string and number
 * survives this service unchanged, so that what a 2xx says was stored is what a later read returns.
 *
 * Refused with 400 `validation_failed`, each with a JSON Pointer (RFC 6901) to the place:
 * - a name given twice in one object (RFC 7493 §2.3); `JSON.parse` would keep the last in silence;
 * - a name or string holding a lone surrogate such as `"\ud83d"` (RFC 7493 §2.1): it has no UTF-8 form,
 *   so it could only be stored as U+FFFD;
 * - a number that an IEEE 754 double does not hold exactly as written (RFC 7493 §2.2): an integer
 *   past 2^53 that would be rounded (9007199254740993), more significant digits than a double keeps,
 *   or a magnitude out of range (1e400 becomes Infinity, 1e-400 becomes 0).
 *
 * Numbers are values, not text: `1.0` is the number 1 and comes back as `1`, `1e2` as `100`, `-0` as `0`.
 * A body that is not JSON at all, or not UTF-8, is 400 `malformed_json`.
 */

/** At most this many places are reported in one answer. */
export const MAX_REPORTED_ISSUES = 20;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body's text; throws `malformed_json` when the bytes are not UTF-8 (RFC 8259 §8.1). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ValidationError('The body is not valid UTF-8.', [], 'malformed_json');
  }
}

/** Parses a request body, refusing what cannot be kept exactly (see above). */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not valid JSON.', [], 'malformed_json');
  }
  const issues = jsonIssues(text);
  if (issues.length > 0) throw new ValidationError('The request body holds values this API cannot keep exactly.', issues);
  return value;
}

/** A decimal number as sign-free digits and exponent: the value is 0.<digits> × 10^exponent. */
function decimal(source: string): { digits: string; exponent: number } {
  const match = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(source);
  if (!match) return { digits: 'NaN', exponent: 0 };
  const integer = match[1] ?? '';
  const all = integer + (match[2] ?? '');
  const significant = all.replace(/^0+/, '');
  const digits = significant.replace(/0+$/, '');
  if (digits === '') return { digits: '', exponent: 0 }; // zero, whatever its sign
  return { digits, exponent: Number(match[3] ?? '0') + integer.length - (all.length - significant.length) };
}

/**
 * True when the number written as `source` (JSON number syntax) is exactly the double it parses to,
 * as that double is written back (shortest round-trip form). Signs of zero are not told apart.
 *
 * @example numberSurvives('0.1') === true; numberSurvives('9007199254740993') === false
 */
export function numberSurvives(source: string): boolean {
  const value = Number(source);
  if (!Number.isFinite(value)) return false;
  const written = decimal(source);
  const read = decimal(String(Math.abs(value)));
  return written.digits === read.digits && written.exponent === read.exponent;
}

type Frame = { readonly kind: 'object'; readonly names: Set<string>; name: string } | { readonly kind: 'array'; index: number };

/** Where a string starting at `start` (its opening quote) ends, after its closing quote. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i += 1;
  }
  return i;
}

const NUMBER_CHAR = /[0-9eE+\-.]/;

/**
 * Every duplicate name, lone surrogate and inexact number in `text`, which must be valid JSON. One
 * pass over the text, without recursion, so nesting depth costs no stack.
 */
export function jsonIssues(text: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => (frame.kind === 'object' ? frame.name : frame.index));
  const report = (message: string) => {
    if (issues.length < MAX_REPORTED_ISSUES) issues.push({ pointer: toPointer(path()), message });
  };
  let expectName = false;
  let i = 0;
  while (i < text.length && issues.length < MAX_REPORTED_ISSUES) {
    const c = text[i];
    const top = stack.at(-1);
    if (c === '{') {
      stack.push({ kind: 'object', names: new Set(), name: '' });
      expectName = true;
      i += 1;
    } else if (c === '[') {
      stack.push({ kind: 'array', index: 0 });
      expectName = false;
      i += 1;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectName = false;
      i += 1;
    } else if (c === ',') {
      if (top?.kind === 'array') top.index += 1;
      expectName = top?.kind === 'object';
      i += 1;
    } else if (c === ':') {
      expectName = false;
      i += 1;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      const raw = text.slice(i, end);
      const value = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
      if (expectName && top?.kind === 'object') {
        top.name = value;
        if (top.names.has(value)) report('this name is given twice in one object');
        top.names.add(value);
        if (!value.isWellFormed()) report('names must not hold a lone surrogate (not Unicode text)');
      } else if (!value.isWellFormed()) {
        report('strings must not hold a lone surrogate (not Unicode text)');
      }
      i = end;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHAR.test(text[end] ?? '')) end += 1;
      if (!numberSurvives(text.slice(i, end))) {
        report('this number cannot be kept exactly (a double holds integers up to 2^53 and about 17 significant digits)');
      }
      i = end;
    } else {
      i += 1; // whitespace and the letters of true, false and null
    }
  }
  return issues;
}
