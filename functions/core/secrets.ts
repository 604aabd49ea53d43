import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PromiseCache } from './cache.ts';

/**
 * Secrets Manager look-ups, once per container: the first call fetches, later calls reuse the
 * answer. A failed fetch is not cached, so the next invocation tries again.
 */

let client: SecretsManagerClient | undefined;
const cache = new PromiseCache<string, string>();

function secretsClient(): SecretsManagerClient {
  client ??= new SecretsManagerClient({});
  return client;
}

/**
 * The string value of a secret, fetched once per container.
 *
 * @example
 * const uri = await getSecretString(process.env.MONGODB_SECRET_ID);
 */
export function getSecretString(secretId: string, options: { maxAgeMs?: number } = {}): Promise<string> {
  return cache.get(secretId, () => fetchSecret(secretId), options);
}

async function fetchSecret(secretId: string): Promise<string> {
  const out = await secretsClient().send(new GetSecretValueCommand({ SecretId: secretId }));
  if (typeof out.SecretString !== 'string' || out.SecretString.length === 0) {
    throw new Error(`Secret ${secretId} has no string value`);
  }
  return out.SecretString;
}

/** Forgets cached values (tests, and key rotation later). */
export function clearSecretCache(): void {
  cache.clear();
}

/** The inline value when there is one, else the secret's (fetched once per container). */
export async function readSecretSource(
  source: { value?: string; secretId?: string },
  options: { maxAgeMs?: number } = {},
): Promise<string> {
  if (source.value !== undefined) return source.value;
  if (source.secretId !== undefined) return getSecretString(source.secretId, options);
  throw new Error('Neither a value nor a secret id was configured');
}
