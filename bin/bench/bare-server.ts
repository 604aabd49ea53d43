#!/usr/bin/env node
/**
 * The HTTP baseline of the bench's load part: node:http and the driver alone doing each route's
 * database work (the same round trips, see RawDb), with the service's client settings (pool size and
 * all), and no gateway, authorizer, validation or middleware. It serves GET /org/get, PUT /org/update
 * (email change) and POST /org/records on 127.0.0.1:$PORT and prints its URL when ready.
 *
 * Not mirrored: the authorizer's revocation look-ups in front of the local API's JWT routes (an admin
 * find and a revocations find, `TokenGuard.check`), which its container caches per token for
 * REVOCATION_CACHE_SECONDS (5 s): each of the bench's tokens (one per writer organization) costs
 * them at most once per 5 s, not once per request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Document } from 'mongodb';
import { databaseConfig } from '#core/config.ts';
import { createMongoClient } from '#core/mongo/client.ts';
import { toSlug } from '#core/orgs/model.ts';
import { RawDb } from './raw.ts';

const config = databaseConfig();
const client = createMongoClient(config.uri ?? '', config);
const raw = new RawDb(client, config.masterDb);

async function readJson(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const publicFields = (org: Document) => ({
  organization_id: org._id.toHexString(),
  organization_name: org.name,
  collection_name: org.placement.collection,
  created_at: org.createdAt.toISOString(),
  updated_at: org.updatedAt.toISOString(),
});

/** The caller's claims from the bearer token, unverified: the baseline has no authorizer. */
function claimsOf(req: IncomingMessage): { org?: string; sub?: string } {
  const token = String(req.headers.authorization ?? '').replace(/^Bearer /i, '');
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** Each route's round trips are those of the RawDb method it calls (listed there, with the service code they mirror). */
async function answer(req: IncomingMessage): Promise<[number, unknown]> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let org: Document | null = null;
  if (req.method === 'GET' && url.pathname === '/org/get') {
    org = await raw.getOrg(toSlug(url.searchParams.get('organization_name') ?? ''));
  } else if (req.method === 'PUT' && url.pathname === '/org/update') {
    const body = await readJson(req);
    const claims = claimsOf(req);
    org = await raw.respell(
      toSlug(body.organization_name ?? ''),
      body.new_organization_name ?? '',
      claims.org ?? '',
      claims.sub ?? '',
    );
  } else if (req.method === 'POST' && url.pathname === '/org/records') {
    const claims = claimsOf(req);
    const record = await raw.createRecord(claims.org ?? '', await readJson(req), claims.sub ?? '');
    return record ? [201, record] : [404, { message: 'Not Found' }];
  } else {
    return [404, { message: 'Not Found' }];
  }
  return org ? [200, publicFields(org)] : [404, { message: 'Not Found' }];
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  answer(req)
    .catch(() => [500, { message: 'Internal Server Error' }] as [number, unknown])
    .then(([status, body]) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`Baseline server listening on http://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void client.close().finally(() => process.exit(0));
});
