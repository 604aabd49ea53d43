import { contract } from '#core/http/contract.ts';
import { AcceptBody, INVITATION_EXAMPLE } from '#core/invitations/schemas.ts';
import { Tokens } from '#core/orgs/schemas.ts';

/**
 * The password is checked for shape only here: for an existing account it is compared (as login
 * compares), for a new one the new-password rules apply in the service.
 */
export const schema = contract({
  request: { body: AcceptBody },
  success: {
    status: 200,
    description:
      'You are a member: tokens for the invited organization, as login answers (with every organization you belong to). A new account is created when no account has the invited email (its address counts as verified).',
    body: Tokens,
  },
  errors: [400, 401, 403, 404, 409, 413, 415, 429, 503],
  errorDescriptions: {
    400: 'The body is invalid, or the new password breaks the rules (validation_failed at /password).',
    404: 'The invitation is unknown, expired, revoked or used (invitation_invalid).',
    401: 'The invited email has an account and this is not its password (invalid_credentials, as login answers).',
    403: 'The account uses two-factor authentication: log in with it and accept at POST /me/invitations/accept (log_in_to_accept).',
    409: 'Already a member (already_member), or the organization is at its member limit (member_limit).',
  },
  example: { body: { token: INVITATION_EXAMPLE.token, password: INVITATION_EXAMPLE.password } },
});
