import { contract } from '#core/http/contract.ts';
import { MEMBER_EXAMPLE, Member, TransferBody } from '#core/members/schemas.ts';

export const schema = contract({
  request: { body: TransferBody },
  success: { status: 200, description: 'The new owner; the caller is now an admin.', body: Member },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: { 403: 'Only an owner may transfer ownership (owner_only).' },
  example: { body: { user_id: MEMBER_EXAMPLE.userId } },
});
