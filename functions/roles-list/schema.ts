import { contract } from '#core/http/contract.ts';
import { RoleList } from '#core/members/schemas.ts';

export const schema = contract({
  request: {},
  success: { status: 200, description: "The built-in roles, then the organization's custom roles.", body: RoleList },
  errors: [401, 403, 503],
  example: {},
});
