import { describe, expect, it } from 'vitest';
import { toSlug } from '#core/orgs/model.ts';
import { organizationName } from '#core/orgs/schemas.ts';

describe('toSlug', () => {
  it.each([
    ['Acme Corp', 'acme_corp'],
    ['acme-corp', 'acme_corp'],
    ['  ACME   corp!! ', 'acme_corp'],
    ['Ünïcödé GmbH', 'unicode_gmbh'],
    ['__x__', 'x'],
    ['日本語', ''],
  ])('folds %j to %j', (name, slug) => {
    expect(toSlug(name)).toBe(slug);
  });
});

describe('organizationName', () => {
  it('trims and accepts 3 to 64 characters with a letter or digit', () => {
    expect(organizationName.parse('  abc  ')).toBe('abc');
    expect(organizationName.safeParse('x'.repeat(64)).success).toBe(true);
    expect(organizationName.safeParse('x'.repeat(65)).success).toBe(false);
    expect(organizationName.safeParse('ab').success).toBe(false);
    expect(organizationName.safeParse('日本語').success).toBe(false);
    expect(organizationName.safeParse('tab\there').success).toBe(false);
  });
});
