import { contract } from '#core/http/contract.ts';

export const schema = contract({
  request: {},
  success: { status: 204, description: 'Every access and refresh token of this admin stops working.' },
  errors: [401, 503],
  example: {},
});
