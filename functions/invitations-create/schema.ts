import { contract } from '#core/http/contract.ts';
import { CreateInvitationBody, INVITATION_EXAMPLE, Invitation } from '#core/invitations/schemas.ts';

export const schema = contract({
  request: { body: CreateInvitationBody },
  success: {
    status: 201,
    description:
      'The invitation, with `Location: /org/invitations/{invitation_id}`. Its secret is not in the answer: it goes to the invited email only.',
    body: Invitation,
  },
  errors: [400, 401, 403, 404, 409, 413, 415, 503],
  errorDescriptions: {
    404: 'The role is not one of the organization (unknown_role).',
    403: 'The caller lacks invitations:manage, or only an owner may invite as owner (owner_only), or the role holds a permission the caller lacks (role_exceeds_yours).',
    409: 'The email is already a member (already_member), has a pending invitation (already_invited), or the organization is at its member limit (member_limit).',
  },
  example: { body: { email: INVITATION_EXAMPLE.email, role: 'member' } },
});
