import type { EmailVerificationService } from '#core/account/email-verification.ts';
import { emailVerifications, organizations } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { collectionLabel } from '#core/orgs/labels.ts';
import type { OrganizationService } from '#core/orgs/service.ts';
import { schema } from './schema.ts';

/**
 * POST /org/create: a new organization with its admin and its own collection. The admin is sent an
 * email verification link; a failure to queue it does not undo the sign-up (the admin can ask again
 * at POST /me/email/verification).
 */
export function createHandler(
  service: () => Promise<OrganizationService>,
  verifications?: () => Promise<Pick<EmailVerificationService, 'sendQuietly'>>,
) {
  return publicEndpoint({
    name: 'org-create',
    contract: schema,
    handle: async ({ body }) => {
      const { org, adminEmail } = await (await service()).create({
        name: body.organization_name,
        email: body.email,
        password: body.password,
      });
      await (await verifications?.())?.sendQuietly({ id: org.adminId, email: adminEmail });
      return {
        organization_id: org.id,
        organization_name: org.name,
        collection_name: org.placement.collection,
        admin_email: adminEmail,
        created_at: org.createdAt.toISOString(),
      };
    },
  });
}

export const handler = createHandler(organizations({ label: collectionLabel }), emailVerifications());
