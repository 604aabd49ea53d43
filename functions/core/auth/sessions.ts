import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import type { EventLog } from '../events/log.ts';
import { log } from '../log.ts';
import { OWNER } from '../members/permissions.ts';
import type { MembershipStore } from '../members/stores.ts';
import { metrics } from '../metrics.ts';
import type { Admin, Organization } from '../orgs/model.ts';
import type { AdminStore, OrganizationStore } from '../orgs/stores.ts';
import type { RefreshTokenStore, RevocationStore } from './stores.ts';
import type { Caller, TokenSigner } from './tokens.ts';

/**
 * Sessions: an access token (short-lived JWT) plus an opaque refresh token (256 random bits, stored
 * only as its SHA-256). Each refresh rotates the refresh token within its family; presenting a used
 * one again means it leaked, so the whole family is revoked.
 */

/** One organization a user belongs to, as login and switch list them. */
export interface OrganizationChoice {
  readonly org: Organization;
  readonly role: string;
}

/** An archived organization the user owns, as `/me` lists it and login may sign in to (to restore it). */
export interface ArchivedChoice {
  readonly org: Organization & { readonly archive: NonNullable<Organization['archive']> };
  readonly role: string;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresIn: number;
  /** The active organization the tokens are for. */
  readonly org: Organization;
  /** The caller's role there when the tokens were issued. */
  readonly role: string;
  /** Every organization the user belongs to (login and switch). */
  readonly organizations?: readonly OrganizationChoice[];
  /** The organization is archived: the tokens only let the user manage their account and restore it. */
  readonly archived?: true;
}

/** How a session was authenticated. */
export interface SessionProof {
  /** With a second factor (TOTP or a recovery code) as well as the password. */
  readonly mfa: boolean;
}

export interface SessionDeps {
  /** The users (see `Admin`). */
  readonly admins: AdminStore;
  readonly orgs: OrganizationStore;
  readonly memberships: Pick<MembershipStore, 'find' | 'listByUser'>;
  readonly refreshTokens: RefreshTokenStore;
  readonly revocations: RevocationStore;
  /** Needed to start and refresh sessions; logout works without one. */
  readonly signer?: TokenSigner;
  readonly refreshTtlMs: number;
  /** Where "logout everywhere" records `tokens.revoked`; none: not recorded (tests of token logic alone). */
  readonly events?: EventLog;
  readonly now?: () => Date;
}

/** 403 `not_a_member`: the user does not belong to that organization (or it is not live). */
export const notAMember = () => new ForbiddenError('not_a_member', 'You are not a member of that organization.');

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidRefresh = () => new UnauthorizedError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked.');
/** An organization one may sign in to: it exists and is not being created or deleted. */
export const live = (org: Organization | null | undefined): org is Organization =>
  !!org && (org.status === 'active' || org.status === 'renaming' || org.status === 'moving');

/** True when `org` is archived and its owner may still restore it at `now`. */
const restorable = (org: Organization | undefined, now: Date): org is ArchivedChoice['org'] =>
  !!org && org.status === 'archived' && !!org.archive && now < org.archive.purgeAfter;

/** How many organizations login and switch list at most. */
export const MAX_LISTED_ORGANIZATIONS = 100;

export class SessionService {
  readonly #deps: SessionDeps;
  readonly #now: () => Date;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Starts a new session (a new refresh token family) for an authenticated user in `org`, where they
   * hold `role`. `proof.mfa` says the user gave a second factor; without one, in an organization
   * that requires it, the tokens carry `tfa: missing` (see `Caller.twoFactor`).
   */
  start(
    admin: Admin,
    org: Organization,
    role: string,
    organizations?: readonly OrganizationChoice[],
    proof: SessionProof = { mfa: false },
  ): Promise<SessionTokens> {
    return this.#issue(admin, org, role, randomUUID(), proof.mfa, organizations);
  }

  /**
   * The live organizations `userId` belongs to, with the role in each, oldest membership first (at
   * most {@link MAX_LISTED_ORGANIZATIONS}).
   */
  async organizationsOf(userId: string): Promise<OrganizationChoice[]> {
    return (await this.#choicesOf(userId)).live;
  }

  /**
   * The archived organizations `userId` owns and may still restore (within their retention window),
   * oldest membership first: what login signs such a user in to when they belong to no live one.
   */
  async restorableOf(userId: string): Promise<ArchivedChoice[]> {
    return (await this.#choicesOf(userId)).archived;
  }

  /** One read of the user's memberships and their organizations: the live ones, and the archived ones they own. */
  async #choicesOf(userId: string): Promise<{ live: OrganizationChoice[]; archived: ArchivedChoice[] }> {
    const memberships = await this.#deps.memberships.listByUser(userId, MAX_LISTED_ORGANIZATIONS);
    if (memberships.length === 0) return { live: [], archived: [] };
    const orgs = new Map((await this.#deps.orgs.findMany(memberships.map((m) => m.orgId))).map((o) => [o.id, o]));
    const now = this.#now();
    return {
      live: memberships.flatMap((m) => {
        const org = orgs.get(m.orgId);
        return live(org) ? [{ org, role: m.role }] : [];
      }),
      archived: memberships.flatMap((m) => {
        const org = orgs.get(m.orgId);
        return m.role === OWNER && restorable(org, now) ? [{ org, role: m.role }] : [];
      }),
    };
  }

  /**
   * Starts a session in another organization the caller belongs to: no password, the caller's
   * valid token is the proof. The current session stays as it is.
   *
   * @throws ForbiddenError `not_a_member` (403) when the caller is not a member of a live `orgId`.
   */
  async switchTo(caller: Caller, orgId: string): Promise<SessionTokens> {
    const [user, membership, org, organizations] = await Promise.all([
      this.#deps.admins.findById(caller.userId),
      this.#deps.memberships.find(orgId, caller.userId),
      this.#deps.orgs.findById(orgId),
      this.organizationsOf(caller.userId),
    ]);
    if (!user || !membership || !live(org)) throw notAMember();
    // The new session keeps this one's second factor: the user proved it once.
    return this.start(user, org, membership.role, organizations, {
      mfa: caller.mfa === true && user.twoFactor?.enabledAt !== undefined,
    });
  }

  /**
   * The caller's profile: the user, every live organization they belong to, and the archived ones
   * they own and may still restore.
   *
   * @throws UnauthorizedError `invalid_token` (401) when the user no longer exists.
   */
  async profile(caller: Caller): Promise<{ user: Admin; organizations: OrganizationChoice[]; archived: ArchivedChoice[] }> {
    const [user, choices] = await Promise.all([this.#deps.admins.findById(caller.userId), this.#choicesOf(caller.userId)]);
    if (!user) throw new UnauthorizedError('invalid_token', 'The access token is missing, malformed, expired or not ours.');
    return { user, organizations: choices.live, archived: choices.archived };
  }

  async #issue(
    admin: Admin,
    org: Organization,
    role: string,
    familyId: string,
    mfa: boolean,
    organizations?: readonly OrganizationChoice[],
  ): Promise<SessionTokens> {
    const now = this.#now();
    const refreshToken = randomBytes(32).toString('base64url');
    await this.#deps.refreshTokens.insert({
      hash: hashToken(refreshToken),
      familyId,
      userId: admin.id,
      orgId: org.id,
      tokenVersion: admin.tokenVersion,
      ...(mfa ? { mfa } : {}),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#deps.refreshTtlMs),
    });
    if (!this.#deps.signer) throw new Error('This session service has no signing key');
    const access = await this.#deps.signer.sign({
      userId: admin.id,
      orgId: org.id,
      sessionId: familyId,
      tokenVersion: admin.tokenVersion,
      mfa,
      twoFactorMissing: org.requireTwoFactor === true && !mfa,
    });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.round(this.#deps.refreshTtlMs / 1000),
      org,
      role,
      ...(organizations ? { organizations } : {}),
      ...(org.status === 'archived' ? { archived: true as const } : {}),
    };
  }

  /** Swaps a refresh token for a new access token and a new refresh token of the same family. */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const now = this.#now();
    const hash = hashToken(refreshToken);
    const record = await this.#deps.refreshTokens.find(hash, now);
    if (!record) throw invalidRefresh();
    const familyKey = `sid:${record.familyId}`;
    if ((await this.#deps.revocations.revoked([familyKey], now)).length > 0) throw invalidRefresh();

    if (!(await this.#deps.refreshTokens.markUsed(hash, now, record.expiresAt))) {
      await this.#deps.revocations.revoke(familyKey, new Date(now.getTime() + this.#deps.refreshTtlMs));
      log.warn('refresh token reused; session revoked', { userId: record.userId, orgId: record.orgId });
      metrics.count('refreshTokenReuse');
      throw new UnauthorizedError('refresh_token_reused', 'The refresh token was already used; the session is revoked.');
    }

    // The user (token version), the membership (still a member, and the role now) and the
    // organization (still live), read together.
    const [admin, membership, org] = await Promise.all([
      this.#deps.admins.findById(record.userId),
      this.#deps.memberships.find(record.orgId, record.userId),
      this.#deps.orgs.findById(record.orgId),
    ]);
    if (!admin || admin.tokenVersion !== record.tokenVersion || !membership || !live(org)) throw invalidRefresh();
    // A second factor counts while the user still has one: turning it off ends that at the next refresh.
    const mfa = record.mfa === true && admin.twoFactor?.enabledAt !== undefined;
    return this.#issue(admin, org, membership.role, record.familyId, mfa);
  }

  /** Ends the caller's session: its refresh token family and the access token presented. */
  async logout(caller: Caller): Promise<void> {
    const now = this.#now();
    const until = new Date(now.getTime() + this.#deps.refreshTtlMs);
    await Promise.all([
      caller.sessionId ? this.#deps.revocations.revoke(`sid:${caller.sessionId}`, until) : undefined,
      caller.tokenId
        ? this.#deps.revocations.revoke(`jti:${caller.tokenId}`, new Date(((caller.expiresAt ?? 0) + 60) * 1000))
        : undefined,
    ]);
  }

  /**
   * Ends every session of the caller: all its access and refresh tokens stop working. The token
   * version's bump is the whole revocation: the authorizer and refresh compare every token's version
   * with the user's (within the same `REVOCATION_CACHE_SECONDS` bound as a `jti:`/`sid:` revocation),
   * so the session and token presented need no revocations of their own.
   */
  async logoutEverywhere(caller: Caller): Promise<void> {
    const bump = () => this.#deps.admins.bumpTokenVersion(caller.userId, this.#now());
    const events = this.#deps.events;
    if (events) {
      // The token version is the event's evidence: it only goes up.
      const user = await this.#deps.admins.findById(caller.userId);
      await events.around(
        {
          orgId: caller.orgId,
          type: 'tokens.revoked',
          target: { type: 'user', id: caller.userId },
          data: { reason: 'logout_all' },
        },
        bump,
        { proof: { tokenVersion: user?.tokenVersion ?? 0 } },
      );
    } else {
      await bump();
    }
  }
}
