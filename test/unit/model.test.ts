import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toSlug } from '#core/orgs/model.ts';
import { organizationName } from '#core/orgs/schemas.ts';

describe('toSlug', () => {
  it.each([
    ['Acme Corp', 'acme_corp'],
    ['acme-corp', 'acme_corp'],
    ['  ACME   corp!! ', 'acme_corp'],
    ['Ünïcödé GmbH', 'unicode_gmbh'],
    ['__x__', 'x'],
    ['日本語', '日本語'],
  ])('folds %j to %j', (name, slug) => {
    expect(toSlug(name)).toBe(slug);
  });
});

describe('organizationName', () => {
  const messages = (value: unknown) => organizationName.safeParse(value).error?.issues.map((issue) => issue.message);

  it('trims and accepts 3 to 64 characters with a letter or digit in any script', () => {
    expect(organizationName.parse('  abc  ')).toBe('abc');
    expect(organizationName.parse(' Иван Петров ')).toBe('Иван Петров');
    expect(organizationName.safeParse('x'.repeat(64)).success).toBe(true);
    expect(organizationName.safeParse('東京大学').success).toBe(true);
    expect(messages('x'.repeat(65))).toEqual(['must be at most 64 characters']);
    expect(messages(' ab ')).toEqual(['must be at least 3 characters']);
    expect(messages('---')).toEqual(['must contain a letter or a digit']);
    expect(messages('tab\there')).toEqual(['must not contain a control character (U+0009 at character 4)']);
    expect(messages('Acme\u0085Corp')).toEqual(['must not contain a control character (U+0085 at character 5)']);
    expect(organizationName.safeParse(42).success).toBe(false);
  });

  it('states the length rule in the JSON Schema, counted as the service counts it', () => {
    const schema = z.toJSONSchema(organizationName, { io: 'input' }) as { minLength?: number; maxLength?: number };

    expect(schema.minLength).toBe(3);
    expect(schema.maxLength).toBe(64);
  });
});
