import { type FieldIssue, ValidationError } from '../errors.ts';
import { MAX_REPORTED_ISSUES } from './json.ts';
import { toPointer } from './pointer.ts';

/**
 * Query parameters, read from API Gateway's `rawQueryString` rather than `queryStringParameters`
 * (which joins a repeated name's values with commas, so `a=x&a=y` and `a=x,y` look alike).
 *
 * Decoding follows WHATWG URL's application/x-www-form-urlencoded parser, what `URLSearchParams` and
 * HTML forms use: pairs split on `&` (empty ones skipped), name and value split on the first `=`,
 * `+` is a space (send `%2B` for a plus sign), then percent-decoding as UTF-8. Stricter than it in two
 * ways, both 400: a `%` not followed by two hex digits, or bytes that are not UTF-8, are
 * `malformed_query` (the parser would keep the `%` or write U+FFFD, a value the client never sent);
 * and a name given more than once is `validation_failed` with a pointer to it, since no parameter of
 * this API takes a list.
 */

function decode(part: string): string | undefined {
  const spaced = part.includes('+') ? part.replaceAll('+', ' ') : part;
  if (!spaced.includes('%')) return spaced; // nothing to decode (most names, numbers, ids)
  try {
    return decodeURIComponent(spaced);
  } catch {
    return undefined;
  }
}

/**
 * The parameters of a raw query string as a null-prototype object (so even `__proto__` is an
 * ordinary name). Throws {@link ValidationError} for malformed encoding and repeated names.
 *
 * @example parseQuery('filter%5Bstatus%5D=a+b&limit=5') // { 'filter[status]': 'a b', limit: '5' }
 */
export function parseQuery(raw: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  let malformed: FieldIssue[] | undefined;
  let repeated: Set<string> | undefined;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decode(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? '' : decode(pair.slice(at + 1));
    if (name === undefined || value === undefined) {
      const shown = pair.length > 64 ? `${pair.slice(0, 64)}...` : pair;
      malformed ??= [];
      if (malformed.length < MAX_REPORTED_ISSUES) {
        malformed.push({
          pointer: name === undefined ? '' : toPointer([name]),
          message: `${JSON.stringify(shown)} is not percent-encoded UTF-8 (a "%" must start two hex digits)`,
        });
      }
      continue;
    }
    if (Object.hasOwn(params, name)) {
      repeated ??= new Set();
      repeated.add(name);
    }
    params[name] = value;
  }
  if (malformed) throw new ValidationError('The query string is not valid percent-encoding.', malformed, 'malformed_query');
  if (repeated) {
    throw new ValidationError(
      'The request query is invalid.',
      [...repeated].slice(0, MAX_REPORTED_ISSUES).map((name) => ({ pointer: toPointer([name]), message: 'must be given once' })),
    );
  }
  return params;
}
