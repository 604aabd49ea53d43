/**
 * A JSON Pointer (RFC 6901) to a place in a request: `~` becomes `~0` and `/` becomes `~1` in each
 * token; the empty path is `""` (the whole input).
 *
 * @example toPointer(['data', 'a/b', 0]) === '/data/a~1b/0'
 */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((token) => `/${String(token).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
