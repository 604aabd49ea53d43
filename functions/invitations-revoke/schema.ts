import { contract } from '#core/http/contract.ts';
import { INVITATION_EXAMPLE, InvitationIdParams } from '#core/invitations/schemas.ts';

export const schema = contract({
  request: { params: InvitationIdParams },
  success: {
    status: 204,
    description: 'The invitation is revoked: its link no longer works (revoking a revoked or expired one again is fine).',
  },
  errors: [400, 401, 403, 404, 409, 503],
  errorDescriptions: {
    404: "The organization has no invitation with this id (invitation_not_found), another organization's included.",
    409: 'The invitation was accepted (invitation_accepted): remove the member instead.',
  },
  example: { params: { invitation_id: INVITATION_EXAMPLE.invitationId } },
});
