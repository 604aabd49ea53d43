import { contract } from '#core/http/contract.ts';
import { Profile } from '#core/members/schemas.ts';

export const schema = contract({
  request: {},
  success: {
    status: 200,
    description: 'The caller, the active organization and role, and every organization the caller belongs to.',
    body: Profile,
  },
  errors: [401, 503],
  example: {},
});
