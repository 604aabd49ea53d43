import { admission, logouts } from '#core/app.ts';
import type { SessionService } from '#core/auth/sessions.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { isOnLegalHold } from '#core/orgs/model.ts';
import { schema } from './schema.ts';

/** GET /me: who the caller is, and in which organizations. */
export function createHandler(service: () => Promise<SessionService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'me',
    contract: schema,
    handle: async ({ caller }) => {
      const { user, organizations, archived } = await (await service()).profile(caller);
      return {
        user_id: user.id,
        email: user.email,
        email_verified: user.emailVerifiedAt !== undefined,
        ...(user.pendingEmail ? { pending_email: user.pendingEmail } : {}),
        two_factor_enabled: user.twoFactor?.enabledAt !== undefined,
        session_two_factor: caller.mfa === true,
        active_organization_id: caller.orgId,
        role: caller.role,
        permissions: [...caller.permissions],
        two_factor_required: caller.twoFactor === 'missing',
        organizations: organizations.map(({ org, role }) => ({ organization_id: org.id, organization_name: org.name, role })),
        organization_archived: caller.organization === 'archived',
        archived_organizations: archived.map(({ org }) => ({
          organization_id: org.id,
          organization_name: org.name,
          archived_at: org.archive.archivedAt.toISOString(),
          purge_after: org.archive.purgeAfter.toISOString(),
          legal_hold: isOnLegalHold(org),
        })),
      };
    },
  });
}

export const handler = createHandler(logouts(), admission());
