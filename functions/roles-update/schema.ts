import { contract } from '#core/http/contract.ts';
import { MEMBER_EXAMPLE, Role, RoleNameParams, UpdateRoleBody } from '#core/members/schemas.ts';

export const schema = contract({
  request: { params: RoleNameParams, body: UpdateRoleBody },
  success: {
    status: 200,
    description: "The role with its new permissions; its members get them within the stage's revocation bound.",
    body: Role,
  },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: { 409: 'Built-in roles cannot be changed (built_in_role).' },
  example: { params: { name: MEMBER_EXAMPLE.role }, body: { permissions: ['records:read', 'members:read'] } },
});
