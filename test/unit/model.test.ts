import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { toSlug } from '#core/orgs/model.ts';
import { EMAIL_PATTERN, email, organizationName } from '#core/orgs/schemas.ts';
import * as z from '#core/zod.ts';

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

describe('email', () => {
  const ajv = new Ajv2020({ strict: false });
  formats.default(ajv); // the full mode, ajv-formats' default
  const jsonSchemaSays = ajv.compile({ type: 'string', format: 'email' });
  const documentSays = new RegExp(EMAIL_PATTERN);

  const accepted = [
    'admin@acme.example',
    'a*b@example.com',
    'a=b@example.com',
    'a~b@example.com',
    'a!b@example.com',
    "o'brien@example.com",
    'x+tag@example.com',
    '#$%&/?^_`{|}-@example.com',
    'first.last@sub.example.co',
    'a@xn--bcher-kva.example',
    '1@2.io',
  ];
  const refused = [
    'not-an-email',
    'a@localhost',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a@-example.com',
    'a@example-.com',
    'a@example..com',
    'a b@example.com',
    '"a b"@example.com',
    'a@[127.0.0.1]',
    'a@b@example.com',
    'иван@example.com',
    'ivan@пример.рф',
    'ü@example.com',
    'a(b)@example.com',
    'a,b@example.com',
  ];

  it.each(accepted)('accepts %j, as JSON Schema format: email does', (address) => {
    expect(jsonSchemaSays(address)).toBe(true);
    expect(documentSays.test(address)).toBe(true);
    expect(email.parse(address)).toBe(address.toLowerCase());
  });

  it.each(refused)('refuses %j, as JSON Schema format: email does', (address) => {
    expect(jsonSchemaSays(address)).toBe(false);
    expect(documentSays.test(address)).toBe(false);
    expect(email.safeParse(address).error?.issues.map((issue) => issue.message)).toEqual([
      'must be a valid email address (ASCII: local@host.example)',
    ]);
  });

  it('trims, stores lower case, and agrees with the document on upper case', () => {
    expect(email.parse('  Admin*Ops@Acme.Example ')).toBe('admin*ops@acme.example');
    expect(documentSays.test('Admin*Ops@Acme.Example')).toBe(true);
  });

  it('refuses addresses over 254 characters', () => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.example`;

    expect(long.length).toBeGreaterThan(254);
    expect(email.safeParse(long).success).toBe(false);
  });

  it('documents the pattern it checks (and no format, whose checkers disagree at the edges)', () => {
    const schema = z.toJSONSchema(email, { io: 'input' }) as Record<string, unknown>;

    expect(schema).toMatchObject({ type: 'string', pattern: EMAIL_PATTERN, maxLength: 254 });
    expect(schema.format).toBeUndefined();
  });
});
