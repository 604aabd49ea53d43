/**
 * Permissions and the built-in roles. A role is a named set of permissions; every route that needs
 * one names it in the route table (`permission` in lib/routes.ts) and the HTTP chain checks it
 * against the caller's role (`#core/http/endpoint.ts`). This module imports nothing, so the route
 * table, the authorizer and every function can load it cheaply.
 *
 * Two rules are not permissions but role rules, enforced by the members service: only an `owner`
 * grants or takes away `owner` (or transfers ownership), and nobody grants a role holding a
 * permission they do not hold themselves (no escalation through custom roles).
 */

/** Every permission, in the order the documentation lists them. */
export const PERMISSIONS = [
  'organization:update',
  'organization:delete',
  'organization:security',
  'members:read',
  'members:manage',
  'invitations:manage',
  'roles:manage',
  'records:read',
  'records:write',
  'audit:read',
  'webhooks:manage',
  'usage:read',
] as const;

/**
 * - `organization:update`: rename the organization (PUT /org/update).
 * - `organization:delete`: delete it (DELETE /org/delete).
 * - `organization:security`: set its security policy, such as requiring two-factor authentication
 *   (PUT /org/security).
 * - `members:read`: list members and roles.
 * - `members:manage`: change a member's role, remove a member.
 * - `invitations:manage`: invite, list and revoke invitations.
 * - `roles:manage`: create, change and delete custom roles.
 * - `records:read`, `records:write`: the records API.
 * - `audit:read`: read and export the organization's audit log (its lifecycle events).
 * - `webhooks:manage`: register, list and delete webhook endpoints, list their delivery attempts, replay.
 * - `usage:read`: the organization's plan and usage (GET /org/usage).
 */
export type Permission = (typeof PERMISSIONS)[number];

/** The roles every organization has; they cannot be changed or deleted. */
export const BUILT_IN_ROLES = {
  /** Everything, including deleting the organization and transferring ownership. */
  owner: PERMISSIONS,
  /**
   * Everything but deleting the organization and setting its security policy; cannot grant, change
   * or remove `owner`.
   */
  admin: PERMISSIONS.filter((p) => p !== 'organization:delete' && p !== 'organization:security'),
  /** Works with the organization's data and sees who else is in it (not its plan or usage). */
  member: ['members:read', 'records:read', 'records:write'],
} as const satisfies Record<string, readonly Permission[]>;

export type BuiltInRole = keyof typeof BUILT_IN_ROLES;

/** The role every organization must keep at least one member in. */
export const OWNER: BuiltInRole = 'owner';

export function isBuiltInRole(role: string): role is BuiltInRole {
  return Object.hasOwn(BUILT_IN_ROLES, role);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * The permissions of `role`: the built-in set, or for a custom role the `custom` list (from the
 * organization's role document; `undefined` when that role no longer exists, which grants nothing).
 */
export function permissionsOf(role: string, custom?: readonly string[]): Permission[] {
  if (isBuiltInRole(role)) return [...BUILT_IN_ROLES[role]];
  return (custom ?? []).filter(isPermission);
}

/** True when every permission of `wanted` is in `held`. */
export function covers(held: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((p) => held.includes(p));
}
