import { contract } from '#core/http/contract.ts';
import { SwitchBody } from '#core/members/schemas.ts';
import { Tokens } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: { body: SwitchBody },
  success: {
    status: 200,
    description: 'New tokens for the chosen organization (a new session); the current session stays valid.',
    body: Tokens,
  },
  errors: [400, 401, 403, 413, 415, 503],
  errorDescriptions: { 403: 'The caller is not a member of that organization (not_a_member).' },
  example: { body: { organization_id: '0123456789abcdef01234567' } },
});
