import { contract } from '#core/http/contract.ts';

export const schema = contract({
  request: {},
  success: { status: 204, description: 'The caller is no longer a member of the active organization.' },
  errors: [401, 404, 409, 503],
  errorDescriptions: {
    409: 'The caller is the last owner: transfer ownership or delete the organization (last_owner); or members_busy.',
  },
  example: {},
});
