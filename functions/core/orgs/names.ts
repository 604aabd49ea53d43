/**
 * Organization names: which names are accepted ({@link nameProblem}), when two names are one
 * organization ({@link toSlug}, the key), and the readable label of an organization's collection
 * ({@link collectionLabel}).
 *
 * Lengths are counted in Unicode code points of the trimmed name as sent, the unit JSON Schema's
 * `minLength`/`maxLength` count, so the OpenAPI document states the length rule exactly.
 */

export const NAME_MIN = 3;
export const NAME_MAX = 64;

/**
 * The longest key, in code points (so at most 512 bytes of UTF-8). Twice {@link NAME_MAX}: every name
 * of ordinary letters fits (the widest everyday folding, "ß" to "ss", doubles a letter), while a name
 * of compatibility characters that expand under NFKC (64 × "ⅷ" gives 256 letters) is refused.
 */
export const SLUG_MAX = 2 * NAME_MAX;

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Scripts in which a mark is a diacritic that comparison ignores ("Ünïcödé" = "Unicode", "Αθήνα" = "ΑΘΗΝΑ"). */
const DIACRITIC_BASE = /([\p{sc=Latin}\p{sc=Greek}\p{sc=Common}])\p{M}+/gu;

/**
 * Case folding: lower, upper, lower again turns "ß", "ẞ" and "SS" alike into "ss", and "ı", "I" and
 * "i" into "i"; the final sigma is then folded into σ, as Unicode's CaseFolding.txt does, so the
 * context JavaScript's lower-casing gives it no longer matters.
 */
const foldCase = (text: string) => text.toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ');

/**
 * The key that makes an organization name unique (stored as `slug`). Two names are one organization
 * exactly when their keys are equal. The key is, in order:
 *
 * 1. zero-width joiners (ZWJ, ZWNJ) removed: they change how a word is drawn, not which word it is;
 * 2. NFKC (Unicode compatibility normalization, UAX #15): width and compatibility forms fold
 *    ("Ａｃｍｅ" = "Acme", "ﬁ" = "fi", "Ⅷ" = "VIII");
 * 3. case folding, as lower case of upper case ("ACME" = "acme", "STRASSE" = "Straße", "ILIK" =
 *    "ılık", since upper case makes them one);
 * 4. marks on Latin, Greek and common (digit, symbol) characters removed ("Ünïcödé" = "Unicode",
 *    "Αθήνα" = "ΑΘΗΝΑ"); marks of other scripts are parts of letters and stay ("й" ≠ "и",
 *    Devanagari vowel signs);
 * 5. every run of other characters (spaces, punctuation, symbols) folded to one `_`, none at the ends.
 *
 * Letters of every script are kept. An all-ASCII name gets the key it always had ("Acme Corp",
 * "acme-corp" and " ACME corp! " are `acme_corp`), and so does a Latin name whose accents Unicode
 * decomposes. The key may be empty (no letter or digit); {@link nameProblem} refuses such a name.
 *
 * @example toSlug('Иван Петров') // 'иван_петров'
 */
export function toSlug(name: string): string {
  return PRINTABLE_ASCII.test(name) ? asciiSlug(name) : unicodeSlug(name);
}

/** Names of printable ASCII only (U+0020 to U+007E), the usual case, which {@link toSlug} keys without Unicode tables. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The key of a printable-ASCII name: lower case, every run outside `[a-z0-9]` folded to one `_`, none
 * at the ends. For such a name each step of {@link unicodeSlug} does exactly this (NFKC, NFD and the
 * mark removal change nothing, case folding is ASCII lower case, letters and digits are `[a-z0-9]`).
 */
function asciiSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** {@link toSlug}'s steps, for any name. Exported for the test that ASCII names get the same key by either path. */
export function unicodeSlug(name: string): string {
  return foldCase(name.replace(/\p{Join_Control}/gu, '').normalize('NFKC'))
    .normalize('NFD')
    .replace(DIACRITIC_BASE, '$1')
    .normalize('NFKC')
    .replace(/(?:[^\p{L}\p{N}\p{M}]\p{M}*)+/gu, '_')
    .replace(/^[_\p{M}]+|_+$/gu, '');
}

/**
 * The key an organization created under the earlier, ASCII-only rule may still carry: NFKD, every
 * mark removed, lower case, every run outside `[a-z0-9]` folded to `_`. Letters with no ASCII base
 * were lost, so such keys are only used to find those organizations again (see
 * `OrganizationService`), never to give one to a new name.
 */
export function legacySlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Scripts that never need a zero-width joiner; next to their letters one only hides a difference. */
const NO_JOINER = /[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Common}\p{sc=Inherited}]/u;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;

/** True when a ZWJ/ZWNJ at `i` sits inside a word of a script that uses joiners (RFC 5892 CONTEXTJ, in spirit). */
function joinerInContext(chars: readonly string[], i: number): boolean {
  const before = chars[i - 1] ?? '';
  const after = chars[i + 1] ?? '';
  return LETTER_OR_MARK.test(before) && !NO_JOINER.test(before) && LETTER_OR_MARK.test(after);
}

/**
 * What a refused character is, or undefined when it may appear in a name. The classes follow the
 * PRECIS FreeformClass (RFC 8264 §9), which refuses controls, default-ignorable and format
 * characters, private use, surrogates, noncharacters and unassigned code points.
 */
function refusedCharacter(chars: readonly string[], i: number): string | undefined {
  const char = chars[i] ?? '';
  if (/\p{Cs}/u.test(char)) return 'a lone surrogate';
  if (/\p{Cc}/u.test(char)) return 'a control character';
  if (/[\p{Zl}\p{Zp}]/u.test(char)) return 'a line or paragraph separator';
  if (/\p{Join_Control}/u.test(char))
    return joinerInContext(chars, i) ? undefined : 'a zero-width joiner outside a word that needs it';
  if (/\p{Bidi_Control}/u.test(char)) return 'a bidirectional control';
  if (/[\u{E0000}-\u{E007F}]/u.test(char)) return 'a tag character';
  if (/\p{Variation_Selector}/u.test(char)) return 'a variation selector';
  if (/[\p{Default_Ignorable_Code_Point}\p{Cf}]/u.test(char)) return 'an invisible or format character';
  if (/\p{Co}/u.test(char)) return 'a private-use character';
  if (/\p{Noncharacter_Code_Point}/u.test(char)) return 'a noncharacter';
  if (/\p{Cn}/u.test(char)) return 'an unassigned code point';
  if (char === '\uFFFC' || char === '\uFFFD') return 'a replacement character';
  return undefined;
}

/** At most this many nonspacing marks in a row, after NFD (UTS #39 §5.4). */
const MAX_MARKS_IN_A_ROW = 4;

/**
 * Why `name` (already trimmed) cannot be an organization name, or undefined when it can. The rules:
 *
 * - {@link NAME_MIN} to {@link NAME_MAX} characters, counted in code points;
 * - no character the PRECIS FreeformClass refuses (RFC 8264): controls (C0 and C1), line and paragraph
 *   separators, format and default-ignorable characters (bidirectional controls, zero-width spaces,
 *   soft hyphens, tag characters, variation selectors), private use, lone surrogates, noncharacters,
 *   code points unassigned in the runtime's Unicode version; nor U+FFFC/U+FFFD. ZWJ and ZWNJ are the
 *   exception PRECIS makes for them (CONTEXTJ): only inside a word of a script that uses them
 *   (Arabic, Persian, Indic scripts), not next to Latin, Greek or Cyrillic letters;
 * - combining marks only on a letter, digit or symbol (not at the start, nor on a space or a
 *   punctuation mark); at most 4 nonspacing marks on one character and none repeated, after NFD
 *   (UTS #39 §5.4);
 * - a letter or a digit, in any script, so the key ({@link toSlug}) is not empty;
 * - a key of at most {@link SLUG_MAX} code points.
 */
export function nameProblem(name: string): string | undefined {
  const chars = [...name];
  if (chars.length < NAME_MIN) return `must be at least ${NAME_MIN} characters`;
  if (chars.length > NAME_MAX) return `must be at most ${NAME_MAX} characters`;
  // Printable ASCII has no refused character and no mark, and its key is never longer than the name.
  if (PRINTABLE_ASCII.test(name)) return asciiSlug(name).length === 0 ? 'must contain a letter or a digit' : undefined;
  for (let i = 0; i < chars.length; i++) {
    const what = refusedCharacter(chars, i);
    if (what) return `must not contain ${what} (${codePoint(chars[i] ?? '')} at character ${i + 1})`;
  }
  if (/^\p{M}|[^\p{L}\p{N}\p{S}\p{M}]\p{M}/u.test(name)) {
    return 'must not contain a combining mark without a letter, digit or symbol to carry it';
  }
  const marks = name.normalize('NFD').match(/[\p{Mn}\p{Me}]+/gu) ?? [];
  if (marks.some((run) => [...run].length > MAX_MARKS_IN_A_ROW)) {
    return `must not stack more than ${MAX_MARKS_IN_A_ROW} combining marks on one character`;
  }
  if (marks.some((run) => /(.)\1/u.test(run))) return 'must not repeat a combining mark on one character';
  const slug = toSlug(name);
  if (slug.length === 0) return 'must contain a letter or a digit';
  if ([...slug].length > SLUG_MAX) {
    return `is too long once normalized: at most ${SLUG_MAX} characters after NFKC and case folding (compatibility characters such as "ⅷ" expand)`;
  }
  return undefined;
}
