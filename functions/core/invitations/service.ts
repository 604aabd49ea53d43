import type { PasswordHasher } from '../auth/passwords.ts';
import { passwordProblem } from '../auth/passwords.ts';
import { live, type SessionService, type SessionTokens } from '../auth/sessions.ts';
import type { LoginThrottle } from '../auth/throttle.ts';
import type { CallerIdentity } from '../auth/tokens.ts';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.ts';
import { type EventLog, userActor } from '../events/log.ts';
import { newId } from '../ids.ts';
import { log } from '../log.ts';
import type { Outbox } from '../mail/outbox.ts';
import { invitationMessage } from '../mail/templates.ts';
import { covers, isBuiltInRole, OWNER, type Permission, permissionsOf } from '../members/permissions.ts';
import type { Actor } from '../members/service.ts';
import type { MembershipStore, RoleStore } from '../members/stores.ts';
import type { Admin, Organization } from '../orgs/model.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import { type Invitation, type InvitationStatus, statusAt } from './model.ts';
import { hashInvitationSecret, newInvitationSecret } from './secret.ts';
import type { InvitationPage, InvitationStore } from './stores.ts';

/**
 * The invitations use cases: invite someone by email into the caller's organization with a role,
 * list and revoke invitations, and accept one (as a new user, as an existing user with their
 * password, or as a logged-in user).
 *
 * Rules:
 * - the secret is single-use: an accept and a revoke each record the invitation's one outcome by an
 *   insert under its id ({@link InvitationStore.claim}), which exactly one caller wins on every
 *   server; an expired, revoked, used or unknown secret is one answer, 400 `invitation_invalid`;
 * - an organization has at most one open invitation per email (409 `already_invited`); one that was
 *   revoked, accepted or has expired does not count;
 * - the role must exist in the organization; only an owner invites as `owner`, and nobody invites
 *   with a role holding a permission they lack (the members service's rules);
 * - the member limit is checked when inviting and when accepting (409 `member_limit`); concurrent
 *   accepts into an organization at its limit may pass it by the few that raced;
 * - a custom role deleted before the invitation is accepted makes the new member a `member`.
 */

export interface InvitationsDeps {
  readonly invitations: InvitationStore;
  readonly memberships: Pick<MembershipStore, 'find' | 'insert' | 'count'>;
  readonly roles: Pick<RoleStore, 'find'>;
  /** The users (see `Admin`). */
  readonly users: Pick<AdminStore, 'findById' | 'findByEmail' | 'insert' | 'markEmailVerified'>;
  readonly orgs: Pick<OrganizationStore, 'findById'>;
  /** Needed to invite: the invitation email goes out through it. */
  readonly outbox?: Outbox;
  /** `INVITE_URL_BASE`: the application page the link opens (needed to invite). */
  readonly inviteUrlBase?: string;
  /** Needed to accept with a password. */
  readonly hasher?: PasswordHasher;
  /** Needed to accept with a password: the tokens of the answer. */
  readonly sessions?: Pick<SessionService, 'start' | 'organizationsOf'>;
  /** The login throttle, applied to the invited email on a password accept. */
  readonly throttle?: LoginThrottle;
  /** How long an invitation stays valid (ms). */
  readonly ttlMs: number;
  /** Members an organization may have at most, whatever its plan (`MEMBER_LIMIT`). */
  readonly memberLimit: number;
  /** Invitations and joins record their events here (`member.invited`, `member.joined`). */
  readonly events: EventLog;
  /** The members quota of the organization's plan (see `#core/limits/plans.ts`); the lower of the two applies. */
  readonly memberQuotaOf?: (orgId: string) => Promise<number>;
  readonly now?: () => Date;
}

/** A new invitation: the stored invitation; the secret went out by email only. */
export interface CreatedInvitation {
  readonly invitation: Invitation;
  /** Whether the email was sent at once (else the reconciler retries it). */
  readonly mailed: boolean;
}

/** An invitation as the list shows it, with its status now. */
export interface InvitationView extends Invitation {
  readonly state: InvitationStatus;
}

/** What a logged-in user joined. */
export interface Joined {
  readonly org: Organization;
  readonly role: string;
}

/**
 * 404 `invitation_invalid`: one answer for an unknown, expired, revoked or used secret (a well-formed
 * request about an invitation that is not there to accept, not a malformed one).
 */
export const invitationInvalid = () =>
  new NotFoundError('invitation_invalid', 'The invitation is invalid, expired, revoked or already used.');
const notFound = () => new NotFoundError('invitation_not_found', 'This organization has no invitation with this id.');
const alreadyMember = () => new ConflictError('already_member', 'This person is already a member of the organization.');
const alreadyInvited = () =>
  new ConflictError('already_invited', 'This email has a pending invitation to the organization: revoke it first.');
const ownerOnly = () => new ForbiddenError('owner_only', 'Only an owner may grant, change or remove the owner role.');
const exceedsYours = () => new ForbiddenError('role_exceeds_yours', 'You cannot grant a permission your own role does not have.');
const invalidCredentials = () => new UnauthorizedError('invalid_credentials', 'The email or password is incorrect.');

export class InvitationsService {
  readonly #deps: InvitationsDeps;
  readonly #now: () => Date;

  constructor(deps: InvitationsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Invites `email` into the caller's organization as `role`, and sends the invitation email
   * (through the outbox: a failed send is retried by the reconciler, the invitation stands).
   *
   * @throws NotFoundError `unknown_role` (404) when the organization has no such role.
   * @throws ForbiddenError `owner_only` (403) for `owner` by a non-owner; `role_exceeds_yours` (403).
   * @throws ConflictError `already_member`, `already_invited` or `member_limit` (409).
   */
  async invite(caller: Actor, email: string, role: string): Promise<CreatedInvitation> {
    const { outbox, inviteUrlBase } = this.#deps;
    if (!outbox || !inviteUrlBase) throw new Error('This invitations service cannot send email');
    const permissions = await this.#permissionsOfRole(caller.orgId, role);
    if (permissions === null) {
      throw new NotFoundError('unknown_role', 'This organization has no role of this name.');
    }
    if (role === OWNER && caller.role !== OWNER) throw ownerOnly();
    if (!covers(caller.permissions, permissions)) throw exceedsYours();
    const [invitee, inviter, org] = await Promise.all([
      this.#deps.users.findByEmail(email),
      this.#deps.users.findById(caller.userId),
      this.#deps.orgs.findById(caller.orgId),
    ]);
    if (!live(org)) throw new NotFoundError('organization_not_found', 'The organization does not exist.');
    if (invitee && (await this.#deps.memberships.find(caller.orgId, invitee.id))) throw alreadyMember();
    await this.#checkLimit(caller.orgId);

    const now = this.#now();
    const secret = newInvitationSecret();
    const invitation: Invitation = {
      id: newId(),
      orgId: caller.orgId,
      email,
      role,
      invitedBy: caller.userId,
      tokenHash: hashInvitationSecret(secret),
      status: 'pending',
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#deps.ttlMs),
    };
    await this.#deps.events.around(
      {
        orgId: caller.orgId,
        type: 'member.invited',
        target: { type: 'invitation', id: invitation.id },
        data: { invitation_id: invitation.id, email, role, expires_at: invitation.expiresAt.toISOString() },
      },
      async () => {
        if ((await this.#deps.invitations.insert(invitation)) === 'open_exists') {
          // An open invitation that has expired no longer counts: close it and try once more.
          const open = await this.#deps.invitations.findOpen(caller.orgId, email);
          if (open && statusAt(open, now) === 'pending') throw alreadyInvited();
          if (open) await this.#deps.invitations.close(open, 'expired', now);
          if ((await this.#deps.invitations.insert(invitation)) === 'open_exists') throw alreadyInvited();
        }
      },
    );
    const message = invitationMessage({
      to: email,
      inviterEmail: inviter?.email ?? 'An administrator',
      organizationName: org.name,
      role,
      secret,
      urlBase: inviteUrlBase,
      expiresAt: invitation.expiresAt,
    });
    const mailed = await outbox.enqueueAndSend(newId(), message, `invitation:${invitation.id}`);
    log.info('invitation created', { orgId: caller.orgId, invitationId: invitation.id, role, mailed });
    return { invitation, mailed };
  }

  /**
   * One page of the caller's organization's invitations, newest first; `after` is the previous
   * page's `next`, `status` keeps only invitations in that state now.
   */
  async list(
    caller: CallerIdentity,
    limit: number,
    options: { after?: string; status?: InvitationStatus } = {},
  ): Promise<{ items: InvitationView[]; next?: string }> {
    const now = this.#now();
    const page: InvitationPage = await this.#deps.invitations.page(caller.orgId, limit, { ...options, now });
    return {
      items: page.items.map((invitation) => ({ ...invitation, state: statusAt(invitation, now) })),
      ...(page.next ? { next: page.next } : {}),
    };
  }

  /**
   * Revokes an invitation of the caller's organization: its secret stops working. Revoking a revoked
   * or expired invitation again is fine.
   *
   * @throws NotFoundError `invitation_not_found` (404), also for another organization's.
   * @throws ConflictError `invitation_accepted` (409) when it was accepted (first).
   */
  async revoke(caller: CallerIdentity, id: string): Promise<void> {
    const invitation = await this.#deps.invitations.findById(caller.orgId, id);
    if (!invitation) throw notFound();
    const now = this.#now();
    if (!(await this.#deps.invitations.claim(id, 'revoked', now))) {
      if ((await this.#deps.invitations.outcomeOf(id)) === 'accepted') {
        throw new ConflictError('invitation_accepted', 'The invitation was accepted: remove the member instead.');
      }
      return; // revoked already
    }
    await this.#deps.invitations.close(invitation, 'revoked', now);
    log.info('invitation revoked', { orgId: caller.orgId, invitationId: id });
  }

  /**
   * Accepts an invitation with its secret and a password, without being logged in. When no user has
   * the invited email, one is created with `password` (the new-password rules apply); when one has,
   * `password` must be theirs (compared as login compares, under the login throttle). Answers tokens
   * for the invited organization, as login does.
   *
   * @throws NotFoundError `invitation_invalid` (404); `validation_failed` (400) for a new user's
   *   password that breaks the rules.
   * @throws UnauthorizedError `invalid_credentials` (401): the existing user's password is wrong.
   * @throws ForbiddenError `log_in_to_accept` (403): the right password of a user with two-factor
   *   authentication on, who accepts logged in instead (nothing is joined on the password alone).
   * @throws TooManyRequestsError `too_many_attempts` (429) from the throttle.
   * @throws ConflictError `already_member`, `member_limit` (409).
   */
  async acceptWithPassword(secret: string, password: string, sourceIp?: string): Promise<SessionTokens> {
    const { hasher, sessions, throttle } = this.#deps;
    if (!hasher || !sessions) throw new Error('This invitations service cannot accept with a password');
    const { invitation, org } = await this.#usable(secret);
    let user = await this.#deps.users.findByEmail(invitation.email);
    if (user) {
      await throttle?.check(invitation.email, sourceIp);
      const { matched } = await hasher.check(password, user.passwordHash);
      if (!matched) {
        await throttle?.failed(invitation.email, sourceIp);
        throw invalidCredentials();
      }
      if (user.twoFactor?.enabledAt) {
        // The password alone is not this account's proof: accept logged in, after the second factor.
        throw new ForbiddenError(
          'log_in_to_accept',
          'This account uses two-factor authentication: log in, then accept with POST /me/invitations/accept.',
        );
      }
      await throttle?.succeeded(invitation.email);
    } else {
      const problem = passwordProblem(password);
      if (problem) throw new ValidationError('The password is not acceptable.', [{ pointer: '/password', message: problem }]);
    }
    const role = await this.#join(invitation, user?.id, async (id) => {
      // Created only once the invitation is ours, so a lost race leaves no user behind.
      const now = this.#now();
      const created: Admin = {
        id,
        email: invitation.email,
        passwordHash: await hasher.hash(password),
        tokenVersion: 0,
        emailVerifiedAt: now, // the invitation reached this address
        createdAt: now,
        updatedAt: now,
      };
      if ((await this.#deps.users.insert(created)) === 'email_taken') {
        throw new ConflictError('email_taken', 'An account with this email was just created: accept again with its password.');
      }
      user = created;
    });
    if (!user) throw new Error('unreachable: the user was created');
    if (!user.emailVerifiedAt) await this.#proveAddress(user);
    const organizations = await sessions.organizationsOf(user.id);
    return sessions.start(user, org, role, organizations);
  }

  /**
   * Accepts an invitation as the logged-in caller, whose email must be the invited one. The caller
   * keeps the current session and can switch to the organization (POST /me/switch).
   *
   * @throws ValidationError `invitation_invalid` (400).
   * @throws ForbiddenError `invitation_not_for_you` (403).
   * @throws ConflictError `already_member`, `member_limit` (409).
   */
  async acceptAsUser(caller: CallerIdentity, secret: string): Promise<Joined> {
    const { invitation, org } = await this.#usable(secret);
    const user = await this.#deps.users.findById(caller.userId);
    if (!user || user.email !== invitation.email) {
      throw new ForbiddenError('invitation_not_for_you', 'This invitation was sent to another email address.');
    }
    const role = await this.#join(invitation, user.id, () => Promise.reject(new Error('unreachable: the user exists')));
    if (!user.emailVerifiedAt) await this.#proveAddress(user);
    return { org, role };
  }

  /** The invitation reached the user's address: it is verified (a failure here only logs). */
  async #proveAddress(user: Pick<Admin, 'id' | 'email'>): Promise<void> {
    await this.#deps.users
      .markEmailVerified(user.id, user.email, this.#now())
      .catch((error) => log.warn('address not marked verified', { userId: user.id, error: (error as Error).name }));
  }

  /** The pending, unexpired invitation the secret belongs to, and its live organization. */
  async #usable(secret: string): Promise<{ invitation: Invitation; org: Organization }> {
    const invitation = await this.#deps.invitations.findByTokenHash(hashInvitationSecret(secret));
    if (!invitation || statusAt(invitation, this.#now()) !== 'pending') throw invitationInvalid();
    const org = await this.#deps.orgs.findById(invitation.orgId);
    if (!live(org)) throw invitationInvalid();
    return { invitation, org };
  }

  /**
   * Makes the invited user a member: checks membership and the limit, wins the invitation's one
   * outcome, creates the user (with a new id) when `userId` is absent, inserts the membership and
   * closes the invitation. A failure after the claim gives the claim back, so the secret can be used
   * again. The `member.joined` event is begun before the claim and settled by the membership.
   *
   * @returns the role the user got.
   */
  async #join(invitation: Invitation, userId: string | undefined, createUser: (id: string) => Promise<void>): Promise<string> {
    if (userId && (await this.#deps.memberships.find(invitation.orgId, userId))) throw alreadyMember();
    await this.#checkLimit(invitation.orgId);
    const role = await this.#roleAtAccept(invitation);
    const now = this.#now();
    const memberId = userId ?? newId();
    await this.#deps.events.around(
      {
        orgId: invitation.orgId,
        type: 'member.joined',
        actor: userActor(memberId),
        target: { type: 'user', id: memberId },
        data: { role, email: invitation.email, invitation_id: invitation.id, new_user: userId === undefined },
      },
      async () => {
        if (!(await this.#deps.invitations.claim(invitation.id, 'accepted', now))) throw invitationInvalid();
        try {
          if (!userId) await createUser(memberId);
          await this.#deps.memberships.insert({
            orgId: invitation.orgId,
            userId: memberId,
            role,
            createdAt: now,
            updatedAt: now,
          });
        } catch (error) {
          await this.#deps.invitations.unclaim(invitation.id, 'accepted').catch(() => undefined);
          throw error;
        }
      },
    );
    await this.#deps.invitations.close(invitation, 'accepted', now, memberId);
    log.info('invitation accepted', { orgId: invitation.orgId, invitationId: invitation.id, userId: memberId, role });
    return role;
  }

  /** The invitation's role, or `member` when it was a custom role the organization has deleted since. */
  async #roleAtAccept(invitation: Invitation): Promise<string> {
    if (isBuiltInRole(invitation.role)) return invitation.role;
    return (await this.#deps.roles.find(invitation.orgId, invitation.role)) ? invitation.role : 'member';
  }

  /** Throws `member_limit` when the organization has reached its member limit. */
  async #checkLimit(orgId: string): Promise<void> {
    const quota = this.#deps.memberQuotaOf ? await this.#deps.memberQuotaOf(orgId) : Number.POSITIVE_INFINITY;
    const limit = Math.min(this.#deps.memberLimit, quota);
    if ((await this.#deps.memberships.count(orgId, limit)) >= limit) {
      const which = quota <= this.#deps.memberLimit ? "the members quota of your organization's plan" : 'the member limit';
      throw new ConflictError('member_limit', `An organization may have at most ${limit} members (${which}).`);
    }
  }

  /** The permissions of `role` in `orgId`, or null when the organization has no such role. */
  async #permissionsOfRole(orgId: string, role: string): Promise<Permission[] | null> {
    if (isBuiltInRole(role)) return permissionsOf(role);
    const custom = await this.#deps.roles.find(orgId, role);
    return custom ? permissionsOf(role, custom.permissions) : null;
  }
}
