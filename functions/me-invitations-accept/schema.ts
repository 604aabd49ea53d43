import { contract } from '#core/http/contract.ts';
import { AcceptAsUserBody, INVITATION_EXAMPLE, Joined } from '#core/invitations/schemas.ts';

export const schema = contract({
  request: { body: AcceptAsUserBody },
  success: {
    status: 200,
    description: 'You are a member of the organization; switch to it with POST /me/switch. Your current session stays as it is.',
    body: Joined,
  },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: {
    404: 'The invitation is unknown, expired, revoked or used (invitation_invalid).',
    403: 'The invitation was sent to another email address (invitation_not_for_you).',
    409: 'Already a member (already_member), or the organization is at its member limit (member_limit).',
  },
  example: { body: { token: INVITATION_EXAMPLE.token } },
});
