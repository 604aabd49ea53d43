import { describe, expect, it } from 'vitest';
import { schema as adminLogin } from '../../functions/admin-login/schema.ts';
import { schema as adminRefresh } from '../../functions/admin-refresh/schema.ts';
import { schema as recordsList } from '../../functions/records-list/schema.ts';

/** Each issue of a failed parse, as `errors[]` reports it: where, and the message. */
function messages(
  schema: { safeParse(value: unknown): { error?: { issues: { path: PropertyKey[]; message: string }[] } } },
  value: unknown,
) {
  return schema.safeParse(value).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
}

/**
 * The schemas are zod/mini, which sets no locale of its own ("Invalid input" for everything):
 * `#core/zod.ts` sets zod's English messages, which problem+json `errors[].message` carries.
 */
describe("Schema messages: zod's English texts", () => {
  it('names the expected and received types, and the limits', () => {
    expect(messages(adminLogin.request.body, {})).toEqual([
      ['email', 'Invalid input: expected string, received undefined'],
      ['password', 'Invalid input: expected string, received undefined'],
    ]);
    expect(messages(adminLogin.request.body, { email: ' ', password: 'x'.repeat(1025) })).toEqual([
      ['email', 'Too small: expected string to have >=1 characters'],
      ['password', 'Too big: expected string to have <=1024 characters'],
    ]);
    expect(messages(adminRefresh.request.body, { refresh_token: 'short' })).toEqual([
      ['refresh_token', 'Too small: expected string to have >=20 characters'],
    ]);
    expect(messages(adminRefresh.request.body, [])).toEqual([['', 'Invalid input: expected object, received array']]);
  });

  it("keeps the contracts' own messages", () => {
    expect(messages(recordsList.request.query, { limit: 'abc' })).toEqual([['limit', 'must be a whole number from 1 to 100']]);
    expect(messages(recordsList.request.query, { 'filter[a.b]': 'x' })).toEqual([
      ['filter[a.b]', 'field names must not contain "."'],
    ]);
  });
});
