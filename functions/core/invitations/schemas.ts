import { roleName } from '../members/schemas.ts';
import { email, objectId } from '../orgs/schemas.ts';
import * as z from '../zod.ts';
import { INVITATION_STATUSES } from './model.ts';
import type { InvitationView, Joined as JoinedOrganization } from './service.ts';

/** Request and response shapes of the invitations routes. */

/** What the route contracts' examples use (the examples test makes them real). */
export const INVITATION_EXAMPLE = {
  email: 'new.member@acme.example',
  invitationId: '0123456789abcdef01234567',
  /** The shape of a secret; the examples test puts a real one from the local mailbox in its place. */
  token: 'q8Vd1hYc9mJ0w3Xb2sTz5nLrK7pE4aGf6uHiOy_R-tA',
  password: 'a long new secret',
} as const;

const LIMIT = 'must be an integer from 1 to 100';

export const CreateInvitationBody = z.strictObject({
  email,
  role: roleName.check(z.describe("A built-in role (owner, admin, member) or one of the organization's custom roles")),
});

export const InvitationStatus = z.enum(INVITATION_STATUSES).check(z.meta({ id: 'InvitationStatus' }));

export const Invitation = z
  .strictObject({
    invitation_id: objectId,
    email: z.string(),
    role: z.string(),
    status: InvitationStatus,
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    closed_at: z.optional(z.iso.datetime().check(z.describe('When it was accepted or revoked'))),
  })
  .check(z.meta({ id: 'Invitation' }));

export const InvitationListQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 50)
    .check(z.describe('Invitations per page, 1 to 100')),
  cursor: z.optional(
    z.string().check(z.regex(/^[0-9a-f]{24}$/, 'is not a cursor this API issued'), z.describe("The previous page's next_cursor")),
  ),
  status: z.optional(z.enum(INVITATION_STATUSES).check(z.describe('Only invitations in this state now'))),
});

export const InvitationList = z.strictObject({
  invitations: z.array(Invitation).check(z.describe('Newest first')),
  next_cursor: z.nullable(z.string()).check(z.describe('Pass as `cursor` for the next page; null on the last page')),
});

export const InvitationIdParams = z.strictObject({
  invitation_id: objectId.check(z.meta({ description: 'An invitation id' })),
});

/** The secret from the invitation link; anything this service did not issue is `invitation_invalid`. */
const token = z
  .string()
  .check(z.minLength(1), z.maxLength(256), z.describe('The `token` of the invitation link (43 base64url characters)'));

export const AcceptBody = z.strictObject({
  token,
  password: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(1024),
      z.describe(
        "Your password if the invited email has an account; else the new account's password (8 characters to 72 bytes, as at sign-up).",
      ),
    ),
});

export const AcceptAsUserBody = z.strictObject({ token });

export const Joined = z
  .strictObject({ organization_id: objectId, organization_name: z.string(), role: z.string() })
  .check(z.meta({ id: 'JoinedOrganization' }));

export function toInvitation(view: InvitationView): z.input<typeof Invitation> {
  return {
    invitation_id: view.id,
    email: view.email,
    role: view.role,
    status: view.state,
    created_at: view.createdAt.toISOString(),
    expires_at: view.expiresAt.toISOString(),
    ...(view.closedAt ? { closed_at: view.closedAt.toISOString() } : {}),
  };
}

export function toInvitationList(page: { items: readonly InvitationView[]; next?: string }): z.input<typeof InvitationList> {
  return { invitations: page.items.map(toInvitation), next_cursor: page.next ?? null };
}

export function toJoined(joined: JoinedOrganization): z.input<typeof Joined> {
  return { organization_id: joined.org.id, organization_name: joined.org.name, role: joined.role };
}
