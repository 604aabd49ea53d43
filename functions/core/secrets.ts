import { get } from 'node:http';
import { PromiseCache } from './cache.ts';
import { UnavailableError } from './errors.ts';

/**
 * Secrets Manager look-ups, once per container: the first call fetches, later calls reuse the
 * answer (for `maxAgeMs` when given). A failed fetch is not cached, so the next invocation tries again.
 *
 * Where the value comes from:
 * - In Lambda, from the AWS Parameters and Secrets Lambda Extension, a layer every function with a
 *   secret carries (see lib/endpoint-function.ts): one HTTP GET to localhost, no AWS SDK in the
 *   bundle. The stack bundles with `SECRETS_SOURCE` defined as `extension`, so the SDK path is not
 *   even in a function's bundle. (AWS Lambda Developer Guide, "Use Secrets Manager secrets in Lambda
 *   functions".) The extension's own cache is turned off: this module caches, so that a `fresh`
 *   read after a key rotation really reaches Secrets Manager.
 * - Elsewhere (scripts, the local API, tests), from the Secrets Manager API through the AWS SDK,
 *   loaded on first use; or from the extension when `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` is set.
 */

/** Reads the string value of one secret (its ARN or name). */
export type SecretReader = (secretId: string) => Promise<string>;

/**
 * How long one read through the extension may take in all, in ms, before it is an outage (503): well
 * inside the shortest function timeout (the authorizer's 5 s), so the answer is a 503, not a kill.
 */
export const EXTENSION_DEADLINE_MS = 2_000;

/**
 * Secrets Manager errors that mean "not now" rather than "wrong", which the extension passes on in a
 * 4xx body (Secrets Manager API Reference, GetSecretValue, Errors; common errors).
 */
const TRANSIENT_ERRORS = ['ThrottlingException', 'InternalServiceError', 'ServiceUnavailable', 'RequestTimeout'];

/**
 * A reader through the AWS Parameters and Secrets Lambda Extension: `GET
 * http://localhost:<port>/secretsmanager/get?secretId=<id>` with the function's session token in
 * `X-Aws-Parameters-Secrets-Token`; the answer is GetSecretValue's JSON.
 *
 * Errors: the extension unreachable, not done within {@link EXTENSION_DEADLINE_MS}, answering 5xx
 * or 429, or passing on a transient Secrets Manager error is {@link UnavailableError} (503, the
 * request may be retried); any other refusal is an `Error` naming the secret and the status, a
 * configuration fault, named `ResourceNotFoundException` (as the SDK's) when the secret has no
 * value. How the real extension words a refusal's body is not documented: only the error's name is
 * relied on, anywhere in the body.
 */
export function extensionReader(
  port: number,
  sessionToken: () => string | undefined = () => process.env.AWS_SESSION_TOKEN,
): SecretReader {
  return (secretId) =>
    new Promise<string>((resolve, reject) => {
      const unavailable = (cause: unknown) =>
        reject(new UnavailableError('Secrets cannot be read now.', { cause, code: 'secrets_unavailable' }));
      const request = get(
        {
          host: 'localhost',
          port,
          path: `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
          headers: { 'X-Aws-Parameters-Secrets-Token': sessionToken() ?? '' },
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('error', unavailable);
          response.on('end', () => {
            clearTimeout(deadline);
            const status = response.statusCode ?? 0;
            if (status >= 500 || status === 429 || TRANSIENT_ERRORS.some((name) => body.includes(name))) {
              return unavailable(new Error(`secrets extension answered ${status}`));
            }
            if (status !== 200) {
              const refusal = new Error(`Secret ${secretId} could not be read: the extension answered ${status}`);
              // The extension passes Secrets Manager's error on: name it as the SDK would, so callers
              // tell "no value yet" (a secret created empty) the same way through either reader.
              if (body.includes('ResourceNotFoundException')) refusal.name = 'ResourceNotFoundException';
              return reject(refusal);
            }
            try {
              resolve(stringValue(secretId, (JSON.parse(body) as { SecretString?: unknown }).SecretString));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      // A deadline for the whole exchange (Node's `timeout` option only bounds an idle socket).
      const deadline = setTimeout(
        () => request.destroy(new Error(`secrets extension not done in ${EXTENSION_DEADLINE_MS} ms`)),
        EXTENSION_DEADLINE_MS,
      );
      request.on('close', () => clearTimeout(deadline));
      request.on('error', unavailable);
    });
}

function stringValue(secretId: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`Secret ${secretId} has no string value`);
  return value;
}

/**
 * The reader this process uses: the extension when its port is set, else the Secrets Manager API
 * (GetSecretValue) through the AWS SDK, loaded on first call. In a bundle `SECRETS_SOURCE` is the
 * build-time constant `extension`, so the bundler drops the `else` branch and the SDK with it (the
 * import must stay inside that branch for this).
 */
function defaultReader(): SecretReader {
  if (process.env.SECRETS_SOURCE === 'extension' || process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT !== undefined) {
    return extensionReader(Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773));
  } else {
    const client = import('@aws-sdk/client-secrets-manager').then((sdk) => ({ sdk, client: new sdk.SecretsManagerClient({}) }));
    return async (secretId) => {
      const { sdk, client: secretsManager } = await client;
      const out = await secretsManager.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
      return stringValue(secretId, out.SecretString);
    };
  }
}

let reader: SecretReader | undefined;
const cache = new PromiseCache<string, string>();

/**
 * The string value of a secret, fetched once per container (again after `maxAgeMs`, when given).
 *
 * @example
 * const uri = await getSecretString(process.env.MONGODB_SECRET_ID);
 */
export function getSecretString(secretId: string, options: { maxAgeMs?: number } = {}): Promise<string> {
  return cache.get(
    secretId,
    () => {
      reader ??= defaultReader();
      return reader(secretId);
    },
    options,
  );
}

/** Forgets cached values and the chosen reader (tests, and key rotation). */
export function clearSecretCache(): void {
  cache.clear();
  reader = undefined;
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
