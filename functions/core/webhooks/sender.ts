import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type Resolved, type Resolver, resolvePublic, WebhookRefusedError } from './address-guard.ts';

/**
 * Sends one webhook request: a POST of the signed body, to an address checked by
 * `./address-guard.ts` and pinned for the connection (the socket's DNS look-up answers with the
 * checked address, so no second resolution can swap it), with a time limit, never following a
 * redirect (a 3xx is a failed attempt).
 */

export interface SendResult {
  readonly ok: boolean;
  readonly status?: number;
  /** Why it failed, for the attempt's record (never the answer's body). */
  readonly error?: string;
  /** The request was not sent: the URL or its addresses were refused. */
  readonly refused?: boolean;
}

export interface SendOptions {
  readonly resolve: Resolver;
  readonly allowLoopback: boolean;
  /** Per request, connection included (ms). */
  readonly timeoutMs: number;
}

/** POSTs `body` with `headers` to `url`; never throws. 2xx is delivered, anything else failed. */
export async function sendWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: SendOptions,
): Promise<SendResult> {
  let addresses: Resolved[];
  try {
    addresses = await resolvePublic(url, options.resolve, options.allowLoopback);
  } catch (error) {
    if (error instanceof WebhookRefusedError) return { ok: false, refused: true, error: error.message };
    return { ok: false, error: 'the address could not be checked' };
  }
  const pinned = addresses[0] as Resolved;
  const lookup: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    } else callback(null, pinned.address, pinned.family);
  };
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    const req = send(
      target,
      {
        method: 'POST',
        lookup,
        timeout: options.timeoutMs,
        headers: { 'content-type': 'application/json', 'user-agent': 'orgs-service-webhooks', ...headers },
      },
      (res) => {
        res.resume(); // the body is not read: only the status counts
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        res.on('end', () => resolve(ok ? { ok, status } : { ok, status, error: statusError(status) }));
        res.on('error', () => resolve({ ok, status }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, error: error.message.slice(0, 200) }));
    req.end(body);
  });
}

function statusError(status: number): string {
  return status >= 300 && status < 400 ? `redirect (${status}) not followed` : `answered ${status}`;
}
