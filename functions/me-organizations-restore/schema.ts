import { contract } from '#core/http/contract.ts';
import { RestoredOrganization, RestoreRequest } from '#core/orgs/schemas.ts';

export const schema = contract({
  request: { body: RestoreRequest },
  success: {
    status: 200,
    description:
      'The organization is active again with everything it had: members, roles, records, name. Its members log in (or refresh) again.',
    body: RestoredOrganization,
  },
  errors: [400, 401, 404, 409, 413, 415, 503],
  errorDescriptions: {
    404: 'You own no archived organization with this id (archived_organization_not_found).',
    409: 'The retention window has passed (restore_window_closed), or another change is running (operation_in_progress).',
  },
  example: { body: { organization_id: '0123456789abcdef01234567' } },
});
