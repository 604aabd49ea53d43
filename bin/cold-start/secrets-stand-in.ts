import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Secrets Manager that answers GetSecretValue from a fixed map, for processes that read
 * their secrets as they would in AWS: through the API (JSON 1.1 protocol, at
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`), or as the AWS Parameters and Secrets Lambda Extension does
 * (`GET /secretsmanager/get?secretId=`, at `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` on localhost).
 */
export interface SecretsStandIn {
  readonly url: string;
  /** The port, for `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`. */
  readonly port: number;
  /** Secret ids asked for, in order; clear it between runs. */
  readonly requested: string[];
  /** Each answer's secret id, and when its request arrived and its answer left (epoch ms); clear it between runs. */
  readonly served: { secretId: string; arrivedAt: number; answeredAt: number }[];
  close(): Promise<void>;
}

export async function startSecretsStandIn(values: Readonly<Record<string, string>>): Promise<SecretsStandIn> {
  const requested: string[] = [];
  const served: { secretId: string; arrivedAt: number; answeredAt: number }[] = [];
  const server = createServer(async (req, res) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    let body = '';
    for await (const chunk of req) body += chunk;
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    const answer = (SecretId: string) => {
      requested.push(SecretId);
      res.once('finish', () =>
        served.push({ secretId: SecretId, arrivedAt, answeredAt: performance.timeOrigin + performance.now() }),
      );
      const value = values[SecretId];
      if (value === undefined) {
        reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      reply(200, {
        ARN: SecretId,
        Name: SecretId.split(':').at(-1),
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      });
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/secretsmanager/get') {
      // The extension refuses a caller without the function's session token.
      if (!req.headers['x-aws-parameters-secrets-token']) {
        reply(401, { message: 'missing X-Aws-Parameters-Secrets-Token' });
        return;
      }
      answer(url.searchParams.get('secretId') ?? '');
      return;
    }
    const target = req.headers['x-amz-target'];
    if (target !== 'secretsmanager.GetSecretValue') {
      reply(400, { __type: 'UnknownOperationException', message: `Not supported here: ${target}` });
      return;
    }
    answer((JSON.parse(body) as { SecretId: string }).SecretId);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requested,
    served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
