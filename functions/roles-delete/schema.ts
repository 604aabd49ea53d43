import { contract } from '#core/http/contract.ts';
import { MEMBER_EXAMPLE, RoleNameParams } from '#core/members/schemas.ts';

export const schema = contract({
  request: { params: RoleNameParams },
  success: { status: 204, description: 'The custom role is gone.' },
  errors: [400, 401, 403, 404, 409, 503],
  errorDescriptions: { 409: 'A built-in role (built_in_role), a role members still hold (role_in_use), or members_busy.' },
  example: { params: { name: MEMBER_EXAMPLE.role } },
});
