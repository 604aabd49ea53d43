import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery protection for webhook delivery: an endpoint URL must be `https:` and
 * every address its host resolves to must be a public unicast address. Refused (with the ranges'
 * sources): loopback, "this network", private (RFC 1918, RFC 4193 unique local), shared address space
 * (RFC 6598), link-local (RFC 3927, RFC 4291; this holds the cloud metadata endpoints 169.254.169.254
 * and fd00:ec2::254 is unique local), benchmarking (RFC 2544), multicast and reserved ranges (the
 * IANA special-purpose registries), and IPv4-mapped IPv6 forms of all of these. The check runs at
 * every delivery, on the addresses the connection then uses (see `./sender.ts`), so a DNS answer that
 * changes after registration is caught; redirects are never followed.
 */

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** A webhook URL or address this service will not call. */
export class WebhookRefusedError extends Error {
  override readonly name = 'WebhookRefusedError';
}

export interface Resolved {
  readonly address: string;
  readonly family: 4 | 6;
}

/** How a host name becomes addresses (`dns.lookup`, all of them); tests pass their own. */
export type Resolver = (host: string) => Promise<readonly Resolved[]>;

export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its IPv4 address; other addresses as they are. */
function unmapped(address: string, family: 4 | 6): Resolved {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ? { address: mapped[1], family: 4 } : { address, family };
}

const ipv = (family: 4 | 6) => (family === 4 ? 'ipv4' : 'ipv6');

/** True when `address` may be called (with `allowLoopback`, loopback too). */
export function isPublicAddress(address: string, family: 4 | 6, allowLoopback = false): boolean {
  const a = unmapped(address, family);
  if (allowLoopback && loopback.check(a.address, ipv(a.family))) return true;
  return !blocked.check(a.address, ipv(a.family));
}

/**
 * Checks a URL's form: `https:` (or, with `allowLoopback`, `http:` to a loopback host), no user info,
 * and a host that is not a refused address literal.
 *
 * @throws WebhookRefusedError with the reason.
 */
export function checkUrl(raw: string, allowLoopback = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookRefusedError('is not a URL');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const loopbackHost = host === 'localhost' || (literal !== 0 && loopback.check(host, literal === 4 ? 'ipv4' : 'ipv6'));
  if (url.protocol !== 'https:' && !(allowLoopback && url.protocol === 'http:' && loopbackHost)) {
    throw new WebhookRefusedError('must be an https URL');
  }
  if (url.username || url.password) throw new WebhookRefusedError('must not carry a user name or password');
  if (literal !== 0 && !isPublicAddress(host, literal === 4 ? 4 : 6, allowLoopback)) {
    throw new WebhookRefusedError('must not point at a loopback, private, link-local or reserved address');
  }
  return url;
}

/**
 * The addresses to connect to for `url`, every one of them public (see the module's rules).
 *
 * @throws WebhookRefusedError when the URL's form is refused, the host does not resolve, or any of its
 *   addresses is refused (one refused address refuses the host: the connection could pick it).
 */
export async function resolvePublic(raw: string, resolve: Resolver, allowLoopback = false): Promise<Resolved[]> {
  const url = checkUrl(raw, allowLoopback);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const addresses =
    literal !== 0
      ? [{ address: host, family: literal === 4 ? (4 as const) : (6 as const) }]
      : await resolve(host).catch(() => {
          throw new WebhookRefusedError(`${host} does not resolve`);
        });
  if (addresses.length === 0) throw new WebhookRefusedError(`${host} does not resolve`);
  for (const a of addresses) {
    if (!isPublicAddress(a.address, a.family, allowLoopback)) {
      throw new WebhookRefusedError(`${host} resolves to a refused address (${a.address})`);
    }
  }
  return [...addresses];
}
