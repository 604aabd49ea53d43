import { contract } from '#core/http/contract.ts';
import { MemberList, MemberListQuery } from '#core/members/schemas.ts';

/** `?limit=&cursor=` */
export const schema = contract({
  request: { query: MemberListQuery },
  success: {
    status: 200,
    description: "A page of the organization's members and the cursor of the next page.",
    body: MemberList,
  },
  errors: [400, 401, 403, 503],
  example: { query: { limit: 50 } },
});
