import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { UnauthorizedError } from '../errors.ts';
import { log } from '../log.ts';
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

export interface SessionTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresIn: number;
  readonly org: Organization;
}

export interface SessionDeps {
  readonly admins: AdminStore;
  readonly orgs: OrganizationStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly revocations: RevocationStore;
  /** Needed to start and refresh sessions; logout works without one. */
  readonly signer?: TokenSigner;
  readonly refreshTtlMs: number;
  readonly now?: () => Date;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const invalidRefresh = () => new UnauthorizedError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked.');
const live = (org: Organization | null): org is Organization =>
  org !== null && (org.status === 'active' || org.status === 'renaming' || org.status === 'moving');

export class SessionService {
  readonly #deps: SessionDeps;
  readonly #now: () => Date;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts a new session (a new refresh token family) for an authenticated admin. */
  start(admin: Admin, org: Organization): Promise<SessionTokens> {
    return this.#issue(admin, org, randomUUID());
  }

  async #issue(admin: Admin, org: Organization, familyId: string): Promise<SessionTokens> {
    const now = this.#now();
    const refreshToken = randomBytes(32).toString('base64url');
    await this.#deps.refreshTokens.insert({
      hash: hashToken(refreshToken),
      familyId,
      adminId: admin.id,
      orgId: org.id,
      tokenVersion: admin.tokenVersion,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.#deps.refreshTtlMs),
    });
    if (!this.#deps.signer) throw new Error('This session service has no signing key');
    const access = await this.#deps.signer.sign({
      adminId: admin.id,
      orgId: org.id,
      sessionId: familyId,
      tokenVersion: admin.tokenVersion,
    });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.round(this.#deps.refreshTtlMs / 1000),
      org,
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
      log.warn('refresh token reused; session revoked', { adminId: record.adminId, orgId: record.orgId });
      metrics.count('refreshTokenReuse');
      throw new UnauthorizedError('refresh_token_reused', 'The refresh token was already used; the session is revoked.');
    }

    const admin = await this.#deps.admins.findById(record.adminId);
    if (!admin || admin.orgId !== record.orgId || admin.tokenVersion !== record.tokenVersion) throw invalidRefresh();
    const org = await this.#deps.orgs.findById(admin.orgId);
    if (!live(org)) throw invalidRefresh();
    return this.#issue(admin, org, record.familyId);
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

  /** Ends every session of the caller: all its access and refresh tokens stop working. */
  async logoutEverywhere(caller: Caller): Promise<void> {
    await this.#deps.admins.bumpTokenVersion(caller.adminId, this.#now());
    await this.logout(caller);
  }
}
