import { contract } from '#core/http/contract.ts';
import { CreateRoleBody, MEMBER_EXAMPLE, Role } from '#core/members/schemas.ts';

export const schema = contract({
  request: { body: CreateRoleBody },
  success: { status: 201, description: 'The new custom role.', body: Role },
  errors: [400, 401, 403, 409, 413, 415, 503],
  errorDescriptions: {
    403: 'The caller lacks roles:manage, or the role would hold a permission the caller lacks (role_exceeds_yours).',
    409: 'A role of this name exists (role_exists), or the organization has as many custom roles as it may (role_limit).',
  },
  example: { body: { name: MEMBER_EXAMPLE.role, description: 'Reads records only', permissions: ['records:read'] } },
});
