import { contract } from '#core/http/contract.ts';
import { MEMBER_EXAMPLE, UserIdParams } from '#core/members/schemas.ts';

export const schema = contract({
  request: { params: UserIdParams },
  success: {
    status: 204,
    description: "The member is gone; their tokens for this organization stop working within the stage's revocation bound.",
  },
  errors: [400, 401, 403, 404, 409, 503],
  errorDescriptions: {
    409: 'The member is the last owner (last_owner), or another member change is in progress (members_busy).',
  },
  example: { params: { user_id: MEMBER_EXAMPLE.userId } },
});
