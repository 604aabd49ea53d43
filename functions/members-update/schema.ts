import { contract } from '#core/http/contract.ts';
import { ChangeRoleBody, MEMBER_EXAMPLE, Member, UserIdParams } from '#core/members/schemas.ts';

export const schema = contract({
  request: { params: UserIdParams, body: ChangeRoleBody },
  success: { status: 200, description: 'The member with the new role.', body: Member },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: {
    403: 'The caller lacks members:manage, or only an owner may grant, change or remove owner, or the role holds a permission the caller lacks.',
    409: 'The change would leave the organization without an owner (last_owner), or another member change is in progress (members_busy).',
  },
  example: { params: { user_id: MEMBER_EXAMPLE.userId }, body: { role: 'admin' } },
});
