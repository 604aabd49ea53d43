import { contract } from '#core/http/contract.ts';

export const schema = contract({
  request: {},
  success: { status: 204, description: "This session's access and refresh tokens stop working." },
  errors: [401, 503],
  example: {},
});
