import { ArchivedOrganization, objectId } from '../orgs/schemas.ts';
import * as z from '../zod.ts';
import type { MemberView } from './model.ts';
import { PERMISSIONS } from './permissions.ts';
import type { MemberPage, RoleView } from './service.ts';

/** Request and response shapes of the members, roles and profile routes. */

/** Example ids the route contracts' examples use (the examples test makes them real). */
export const MEMBER_EXAMPLE = {
  userId: '0123456789abcdef01234567',
  role: 'support',
} as const;

const LIMIT = 'must be an integer from 1 to 100';

/** A role name: a built-in one, or a custom role's (lower case, 2 to 32 of a-z, 0-9, `_`, `-`). */
export const roleName = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9_-]{1,31}$/, 'must be 2 to 32 of a-z, 0-9, _ and -, starting with a letter'));

export const Permission = z.enum(PERMISSIONS).check(z.meta({ id: 'Permission' }));

export const UserIdParams = z.strictObject({ user_id: objectId.check(z.meta({ description: 'A user id' })) });
export const RoleNameParams = z.strictObject({ name: roleName });

export const MemberListQuery = z.strictObject({
  limit: z
    ._default(z.coerce.number({ error: LIMIT }).check(z.int(LIMIT), z.gte(1, LIMIT), z.lte(100, LIMIT)), 50)
    .check(z.describe('Members per page, 1 to 100')),
  cursor: z.optional(
    z
      .string()
      .check(
        z.regex(/^[0-9a-f]{24}:[0-9a-f]{24}$/, 'is not a cursor this API issued'),
        z.describe("The previous page's next_cursor"),
      ),
  ),
});

export const Member = z
  .strictObject({
    user_id: objectId,
    email: z.string(),
    role: z.string(),
    joined_at: z.iso.datetime(),
  })
  .check(z.meta({ id: 'Member' }));

export const MemberList = z.strictObject({
  members: z.array(Member),
  next_cursor: z.nullable(z.string()).check(z.describe('Pass as `cursor` for the next page; null on the last page')),
});

export const ChangeRoleBody = z.strictObject({ role: roleName });
export const TransferBody = z.strictObject({ user_id: objectId });

export const Role = z
  .strictObject({
    name: z.string(),
    description: z.optional(z.string()),
    permissions: z.array(Permission),
    built_in: z.boolean(),
  })
  .check(z.meta({ id: 'Role' }));

export const RoleList = z.strictObject({ roles: z.array(Role) });

const description = z.string().check(z.trim(), z.maxLength(200));
const permissions = z.array(Permission).check(z.maxLength(PERMISSIONS.length * 2));

export const CreateRoleBody = z.strictObject({
  name: roleName,
  description: z.optional(description),
  permissions,
});

export const UpdateRoleBody = z.strictObject({
  description: z.optional(description),
  permissions,
});

export const SwitchBody = z.strictObject({ organization_id: objectId });

export const Profile = z
  .strictObject({
    user_id: objectId,
    email: z.string(),
    email_verified: z.boolean(),
    pending_email: z.optional(z.string().check(z.meta({ description: 'The address the account moves to once it is verified.' }))),
    two_factor_enabled: z.boolean(),
    session_two_factor: z.boolean().check(z.meta({ description: 'This session began with a second factor.' })),
    active_organization_id: objectId,
    role: z.string(),
    permissions: z.array(z.string()),
    two_factor_required: z.boolean().check(
      z.meta({
        description:
          'The active organization requires a second factor this session lacks: enrol (POST /me/two-factor) and log in again to act on it.',
      }),
    ),
    organizations: z.array(z.strictObject({ organization_id: objectId, organization_name: z.string(), role: z.string() })),
    organization_archived: z.boolean().check(
      z.meta({
        description:
          'The active organization is deleted (archived): this session can manage the account and restore it, not act on it.',
      }),
    ),
    archived_organizations: z
      .array(ArchivedOrganization)
      .check(z.meta({ description: 'Archived organizations you own and may still restore (POST /me/organizations/restore).' })),
  })
  .check(z.meta({ id: 'Profile' }));

export function toMember(view: MemberView): z.input<typeof Member> {
  return { user_id: view.userId, email: view.email, role: view.role, joined_at: view.joinedAt.toISOString() };
}

export function toMemberList(page: MemberPage): z.input<typeof MemberList> {
  return { members: page.members.map(toMember), next_cursor: page.next ?? null };
}

export function toRole(view: RoleView): z.input<typeof Role> {
  return {
    name: view.name,
    ...(view.description !== undefined ? { description: view.description } : {}),
    permissions: [...view.permissions],
    built_in: view.builtIn,
  };
}
