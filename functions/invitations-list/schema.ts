import { contract } from '#core/http/contract.ts';
import { InvitationList, InvitationListQuery } from '#core/invitations/schemas.ts';

/** `?limit=&cursor=&status=` */
export const schema = contract({
  request: { query: InvitationListQuery },
  success: {
    status: 200,
    description: "A page of the organization's invitations, newest first, and the cursor of the next page.",
    body: InvitationList,
  },
  errors: [400, 401, 403, 503],
  example: { query: { limit: 50, status: 'pending' } },
});
