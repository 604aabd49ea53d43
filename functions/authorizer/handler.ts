import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult, Context } from 'aws-lambda';
import type { TokenGuard } from '#core/auth/guard.ts';
import { tokenGuard } from '#core/compose/guard.ts';
import { UnauthorizedError } from '#core/errors.ts';
import { log } from '#core/log.ts';
import { metrics } from '#core/metrics.ts';
import { identifyCaller, observe } from '#core/observe.ts';

/**
 * The API Gateway HTTP API Lambda authorizer (payload 2.0, simple responses). It verifies the access
 * token, checks it is not revoked, and hands the caller to the route in
 * `requestContext.authorizer.lambda`. It holds only public keys.
 *
 * An HTTP API authorizer can only allow, deny (API Gateway answers 403, and caches the denial) or
 * fail (500). A database outage is none of the caller's doing, so it is never a denial: the
 * revocation look-up waits at most one second (see `TokenGuard` in #core/auth/guard.ts), then a token with a valid
 * signature is allowed unless this container knew it to be revoked, and the route itself answers
 * 503 with Retry-After while the database is unreachable.
 */

/**
 * What the authorizer hands the route. HTTP API context values are strings, numbers or booleans, so
 * the permissions travel as one space-separated string.
 */
export interface AuthorizerContext {
  userId: string;
  orgId: string;
  role: string;
  /** The role's permissions, separated by spaces. */
  permissions: string;
  /** `unverified` when the database could not be asked (see `TokenGuard`); else empty. */
  membership: string;
  sessionId: string;
  tokenId: string;
  expiresAt: number;
  /** `missing` when the organization requires a second factor this session lacks; else empty. */
  twoFactor: string;
  /** `true` when the session began with a second factor; else empty. */
  mfa: string;
  /** `archived` when the organization is archived (see `Caller.organization`); else empty. */
  organization: string;
}
export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

const DENY = { isAuthorized: false } as unknown as AuthorizerResult;

/** The token of an `Authorization: Bearer <token>` header, if it has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The authorizer over `guard` (tests hand it one over fake stores). Each call is an observed
 * invocation (`#core/observe.ts`) under API Gateway's request id, the one the route's lines carry:
 * its metrics count denials (as 403s) and failures (as 500s).
 */
export function createHandler(guard: () => Promise<TokenGuard>) {
  const decide = async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const token = bearerToken(event.headers?.authorization ?? event.identitySource?.[0]);
    if (!token) return DENY;
    try {
      const caller = await (await guard()).check(token);
      identifyCaller(caller);
      return {
        isAuthorized: true,
        context: {
          userId: caller.userId,
          orgId: caller.orgId,
          role: caller.role,
          permissions: caller.permissions.join(' '),
          membership: caller.membership ?? '',
          sessionId: caller.sessionId ?? '',
          tokenId: caller.tokenId ?? '',
          expiresAt: caller.expiresAt ?? 0,
          twoFactor: caller.twoFactor ?? '',
          mfa: caller.mfa ? 'true' : '',
          organization: caller.organization ?? '',
        },
      };
    } catch (error) {
      // Verification keys unreadable: nothing can be verified, and it is not the caller's fault, so
      // no denial either; API Gateway answers 500. (Database outages do not reach here.)
      if (!(error instanceof UnauthorizedError)) throw error;
      log.info('token rejected', { code: error.code, reason: (error.cause as Error | undefined)?.name });
      return DENY;
    }
  };
  return (event: APIGatewayRequestAuthorizerEventV2, context?: Context): Promise<AuthorizerResult> =>
    observe({ route: 'authorizer', correlationId: event.requestContext?.requestId, lambda: context }, async () => {
      try {
        const result = await decide(event);
        metrics.authorizerDecision(result.isAuthorized);
        metrics.status(result.isAuthorized ? 200 : 403);
        return result;
      } catch (error) {
        metrics.status(500);
        throw error;
      }
    });
}

export const handler = createHandler(tokenGuard());
