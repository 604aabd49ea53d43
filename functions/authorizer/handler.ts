import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { createTokenVerifier } from '#core/auth/tokens.ts';
import { verifierConfig } from '#core/config.ts';
import { UnauthorizedError } from '#core/errors.ts';
import { errorFields, log } from '#core/log.ts';
import { readSecretSource } from '#core/secrets.ts';

/**
 * The API Gateway HTTP API Lambda authorizer (payload 2.0, simple responses). It verifies the access
 * token and hands the admin and org ids to the route in `requestContext.authorizer.lambda`. It holds
 * only public keys and never touches the database.
 */

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<{ adminId: string; orgId: string }>;

const config = verifierConfig();
const verifier = createTokenVerifier({ ...config, publicKeys: () => readSecretSource(config.publicKeys) });
const DENY = { isAuthorized: false } as unknown as AuthorizerResult;

/** The token of an `Authorization: Bearer <token>` header, if it has that form. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
  const token = bearerToken(event.headers?.authorization ?? event.identitySource?.[0]);
  if (!token) return DENY;
  try {
    const caller = await verifier.verify(token);
    return { isAuthorized: true, context: { adminId: caller.adminId, orgId: caller.orgId } };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error; // keys unavailable: API Gateway answers 500
    log.info('token rejected', { reason: errorFields(error.cause).errorName });
    return DENY;
  }
};
