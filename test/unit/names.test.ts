import { describe, expect, it } from 'vitest';
import { COLLECTION_LABEL_MAX, collectionLabel } from '#core/orgs/labels.ts';
import { legacySlug, NAME_MAX, nameProblem, SLUG_MAX, toSlug, unicodeSlug } from '#core/orgs/names.ts';

/** A small deterministic generator, so the sampled names are the same on every run. */
function* sample(seed: number, count: number, alphabet: readonly string[], maxLength: number): Generator<string> {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state;
  };
  for (let n = 0; n < count; n++) {
    const length = 1 + (next() % maxLength);
    yield Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
  }
}

const printableAscii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

describe('toSlug', () => {
  it.each([
    ['Acme Corp', 'acme_corp'],
    ['acme-corp', 'acme_corp'],
    ['  ACME   corp!! ', 'acme_corp'],
    ['__x__', 'x'],
    ['Ünïcödé GmbH', 'unicode_gmbh'],
    ['Иван Петров', 'иван_петров'],
    ['東京大学', '東京大学'],
    ['Ελληνικά ΑΕ', 'ελληνικα_αε'],
    ['مرحبا بكم', 'مرحبا_بكم'],
    ['हिन्दी संस्था', 'हिन्दी_संस्था'],
    ['Bjørn AS', 'bjørn_as'],
    ['ⅷ Legion', 'viii_legion'],
  ])('gives %j the key %j', (name, slug) => {
    expect(toSlug(name)).toBe(slug);
  });

  it.each([
    ['case in any script', 'ИВАН ПЕТРОВ', 'иван петров'],
    ['full case folding: ß, ẞ and SS', 'Straße AG', 'STRASSE AG'],
    ['capital sharp s', 'STRAẞE AG', 'strasse ag'],
    ['final sigma', 'ΟΔΟΣ ΑΕ', 'οδοσ αε'],
    ['Greek accents', 'Αθήνα ΑΕ', 'ΑΘΗΝΑ ΑΕ'],
    ['Latin accents', 'Crème Brûlée', 'creme brulee'],
    ['composed and decomposed accents', 'Caf\u00e9 Ltd', 'Cafe\u0301 Ltd'],
    ['full-width forms', 'Ａｃｍｅ　Ｃｏｒｐ', 'acme corp'],
    ['ligatures', 'ﬁnance ﬂow', 'finance flow'],
    ['punctuation and spaces', 'Иван—Петров & Co.', 'иван петров co'],
    ['dotted capital I', 'İstanbul Ltd', 'istanbul ltd'],
    ['dotless i, which upper case makes I', 'ılık AŞ', 'ILIK AŞ'],
    ['ZWNJ inside a Persian word', 'می\u200Cخواهم', 'میخواهم'],
  ])('treats names differing only by %s as one', (_kind, a, b) => {
    expect(toSlug(a)).toBe(toSlug(b));
  });

  it.each([
    ['Иван 1', 'Ольга 1'],
    ['Bjørn AS', 'Bjœrn AS'],
    ['Bjørn AS', 'Bjorn AS'],
    ['Łódź SA', 'Lodz SA'],
    ['Đorđe doo', 'Dorde doo'],
    ['東京 KK', '京都 KK'],
    ['Мой банк', 'Мои банк'],
    ['किताब', 'कताब'],
    ['שלום בע"מ', 'שלוש בע"מ'],
  ])('keeps %j and %j apart', (a, b) => {
    expect(toSlug(a)).not.toBe(toSlug(b));
    expect(toSlug(a)).not.toBe('');
  });

  it('gives every all-ASCII name the key the earlier ASCII-only rule gave it', () => {
    for (const name of sample(7, 2000, printableAscii, 40)) expect(toSlug(name), name).toBe(legacySlug(name));
  });

  it('keys a printable-ASCII name by its shortcut exactly as the Unicode steps do', () => {
    for (const name of sample(13, 3000, printableAscii, 64)) expect(toSlug(name), name).toBe(unicodeSlug(name));
    for (const name of ['İstanbul', 'ﬁne', 'Ａｃｍｅ', 'Straße', 'a\u200Db']) expect(toSlug(name), name).toBe(unicodeSlug(name));
  });

  it('gives a Latin name whose accents decompose the key it had before', () => {
    for (const name of ['Ünïcödé GmbH', 'Crème Brûlée SARL', 'São Paulo Ltda', 'Ａｃｍｅ', 'Team ①②③', 'Acme™']) {
      expect(toSlug(name), name).toBe(legacySlug(name));
    }
  });

  it('is idempotent and folds to letters, marks, digits and single underscores', () => {
    const alphabet = [...'aZ09 -_.éßΣςİıøИй東ㄱاब्\u0301\u200C!★ⅷﬁＡ'];
    for (const name of sample(11, 3000, alphabet, 20)) {
      const slug = toSlug(name);
      expect(toSlug(slug), name).toBe(slug);
      expect(slug, name).toMatch(/^(?:[\p{L}\p{N}][\p{L}\p{N}\p{M}]*(?:_[\p{L}\p{N}][\p{L}\p{N}\p{M}]*)*)?$/u);
    }
  });
});

describe('nameProblem', () => {
  const middle = (char: string) => `Acme${char}Corp`;

  it('accepts names of letters or digits in any script', () => {
    for (const name of [
      'Иван Петров',
      'Ольга 1',
      'Bjørn AS',
      '東京大学',
      'مرحبا بكم',
      'שלום בע"מ',
      'हिन्दी',
      'ทดสอบ',
      '한국어 주식회사',
      'Ελληνικά',
      'ქართული',
      '123',
      'می\u200Cخواهم',
      'क्\u200Dष',
    ]) {
      expect(nameProblem(name), name).toBeUndefined();
    }
  });

  it('measures 3 to 64 characters in code points, as JSON Schema does', () => {
    expect(nameProblem('abc')).toBeUndefined();
    expect(nameProblem('ab')).toBe('must be at least 3 characters');
    expect(nameProblem('x'.repeat(NAME_MAX))).toBeUndefined();
    expect(nameProblem('x'.repeat(NAME_MAX + 1))).toBe('must be at most 64 characters');
    expect(nameProblem('𝔸'.repeat(NAME_MAX))).toBeUndefined(); // 128 UTF-16 units, 64 code points
    expect(nameProblem('𝔸'.repeat(NAME_MAX + 1))).toBe('must be at most 64 characters');
    expect(nameProblem('Иван'.repeat(16))).toBeUndefined();
    expect(nameProblem('e\u0301'.repeat(32))).toBeUndefined(); // as sent: a decomposed é counts 2
    expect(nameProblem('e\u0301'.repeat(33))).toBe('must be at most 64 characters');
  });

  it('refuses a name whose key would pass the key bound, at the boundary', () => {
    expect(toSlug('ⅷ'.repeat(32))).toHaveLength(SLUG_MAX);
    expect(nameProblem('ⅷ'.repeat(32))).toBeUndefined();
    expect(nameProblem('ⅷ'.repeat(33))).toMatch(/^is too long once normalized/);
    expect(nameProblem('ⅷ'.repeat(64))).toMatch(/^is too long once normalized/);
    expect(nameProblem('ﷺ'.repeat(8))).toMatch(/^is too long once normalized/);
    expect(nameProblem('ß'.repeat(64))).toBeUndefined(); // "ss" × 64: the widest everyday folding fits
  });

  it.each([
    ['a C0 control', '\u0001', 'a control character'],
    ['a C0 control (unit separator)', '\u001F', 'a control character'],
    ['DEL', '\u007F', 'a control character'],
    ['a C1 control', '\u0080', 'a control character'],
    ['NEL', '\u0085', 'a control character'],
    ['a C1 control (APC)', '\u009F', 'a control character'],
    ['LRE', '\u202A', 'a bidirectional control'],
    ['RLO', '\u202E', 'a bidirectional control'],
    ['LRI', '\u2066', 'a bidirectional control'],
    ['PDI', '\u2069', 'a bidirectional control'],
    ['LRM', '\u200E', 'a bidirectional control'],
    ['the Arabic letter mark', '\u061C', 'a bidirectional control'],
    ['a zero-width space', '\u200B', 'an invisible or format character'],
    ['a word joiner', '\u2060', 'an invisible or format character'],
    ['a byte order mark', '\uFEFF', 'an invisible or format character'],
    ['a soft hyphen', '\u00AD', 'an invisible or format character'],
    ['a Hangul filler', '\u3164', 'an invisible or format character'],
    ['the combining grapheme joiner', '\u034F', 'an invisible or format character'],
    ['a ZWJ between Latin letters', '\u200D', 'a zero-width joiner outside a word that needs it'],
    ['a ZWNJ between Latin letters', '\u200C', 'a zero-width joiner outside a word that needs it'],
    ['a variation selector', '\uFE0F', 'a variation selector'],
    ['a supplementary variation selector', '\u{E0100}', 'a variation selector'],
    ['a tag character', '\u{E0041}', 'a tag character'],
    ['the line separator', '\u2028', 'a line or paragraph separator'],
    ['the paragraph separator', '\u2029', 'a line or paragraph separator'],
    ['a private-use character', '\uE000', 'a private-use character'],
    ['a supplementary private-use character', '\u{F0000}', 'a private-use character'],
    ['a noncharacter', '\uFDD0', 'a noncharacter'],
    ['U+FFFF', '\uFFFF', 'a noncharacter'],
    ['a supplementary noncharacter', '\u{1FFFE}', 'a noncharacter'],
    ['an unassigned code point', '\u0378', 'an unassigned code point'],
    ['a lone high surrogate', '\uD800', 'a lone surrogate'],
    ['a lone low surrogate', '\uDFFF', 'a lone surrogate'],
    ['the replacement character', '\uFFFD', 'a replacement character'],
  ])('refuses %s anywhere in a name', (_kind, char, what) => {
    const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    for (const [name, at] of [
      [middle(char), 5],
      [`${char}AcmeCorp`, 1],
      [`AcmeCorp${char}`, 9],
    ] as const) {
      expect(nameProblem(name), JSON.stringify(name)).toBe(`must not contain ${what} (U+${hex} at character ${at})`);
    }
  });

  it('refuses joiners at the ends of a word, even in scripts that use them', () => {
    expect(nameProblem('\u200Cمیخواهم')).toMatch(/zero-width joiner/);
    expect(nameProblem('میخواهم\u200C')).toMatch(/zero-width joiner/);
    expect(nameProblem('می\u200C خواهم')).toMatch(/zero-width joiner/);
  });

  it('refuses combining marks without a base, stacked or repeated', () => {
    const alone = 'must not contain a combining mark without a letter, digit or symbol to carry it';
    expect(nameProblem('\u0301Acme')).toBe(alone);
    expect(nameProblem('Acme \u0301Corp')).toBe(alone);
    expect(nameProblem('Acme-\u0308Corp')).toBe(alone);
    expect(nameProblem('\u0301\u0302\u0303')).toBe(alone);
    expect(nameProblem('Acme a\u0300\u0301\u0302\u0303\u0304')).toBe(
      'must not stack more than 4 combining marks on one character',
    );
    expect(nameProblem('Acme a\u0301\u0301')).toBe('must not repeat a combining mark on one character');
    expect(nameProblem('Ac\u0327\u0301me')).toBeUndefined(); // two different marks on one letter
  });

  it('judges printable-ASCII names by length and a letter or digit alone', () => {
    for (const name of sample(17, 3000, printableAscii, 70)) {
      const length = name.length;
      const expected =
        length < 3
          ? 'must be at least 3 characters'
          : length > NAME_MAX
            ? `must be at most ${NAME_MAX} characters`
            : /[A-Za-z0-9]/.test(name)
              ? undefined
              : 'must contain a letter or a digit';
      expect(nameProblem(name), JSON.stringify(name)).toBe(expected);
    }
  });

  it('refuses names of spaces, punctuation and symbols only', () => {
    for (const name of ['---', '!!!', '_ _', '★☆★', '...', '— —', '\u00A0\u00A0\u00A0']) {
      expect(nameProblem(name), name).toBe('must contain a letter or a digit');
    }
  });
});

describe('collectionLabel', () => {
  it('keeps an ASCII key as it is', () => {
    expect(collectionLabel('acme_corp')).toBe('acme_corp');
  });

  it.each([
    ['иван_петров', 'ivan_petrov'],
    ['bjørn_as', 'bjorn_as'],
    ['bjœrn_as', 'bjoern_as'],
    ['ελληνικα_αε', 'ellinika_ae'],
    ['strasse', 'strasse'],
    ['ольга_5', 'olga_5'],
  ])('transliterates %j to %j', (slug, label) => {
    expect(collectionLabel(slug)).toBe(label);
  });

  it('is a valid, readable collection name part for keys of every script', () => {
    const names = ['東京大学', 'مرحبا بكم', 'हिन्दी संस्था', '한국어 주식회사', 'שלום בע"מ', 'ทดสอบ', 'ქართული', 'Ελληνικά'];
    for (const name of names) {
      const label = collectionLabel(toSlug(name));
      expect(label, name).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)*$/);
    }
    for (const name of sample(5, 1000, [...'aИ東ا्ब ßø★ⅷ1'], 64)) {
      const label = collectionLabel(toSlug(name));
      expect(label, name).toMatch(/^(?:[a-z0-9]+(?:_[a-z0-9]+)*)?$/);
      expect(label.length, name).toBeLessThanOrEqual(COLLECTION_LABEL_MAX);
    }
  });
});
