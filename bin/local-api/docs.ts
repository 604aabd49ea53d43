import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * GET /docs: Swagger UI from the swagger-ui-dist package (no CDN), rendering GET /openapi.json with
 * "Try it out" against this server.
 */

const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Organizations API</title>
  <link rel="icon" href="/docs/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: true,
});
`;

export interface StaticAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

let assetDir: string | undefined;

async function swaggerUiDir(): Promise<string> {
  assetDir ??= dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json')));
  return assetDir;
}

/** The docs page or one of its assets, or undefined when `path` is not one of them. */
export async function docsAnswer(method: string, path: string): Promise<StaticAnswer | undefined> {
  if (method !== 'GET') return undefined;
  const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'no-cache' });
  if (path === '/docs' || path === '/docs/')
    return { status: 200, headers: headers('text/html; charset=utf-8'), body: Buffer.from(page) };
  if (path === '/docs/init.js')
    return { status: 200, headers: headers('text/javascript; charset=utf-8'), body: Buffer.from(init) };
  const name = path.startsWith('/docs/') ? path.slice('/docs/'.length) : '';
  const type = assets[name];
  if (!type) return undefined;
  return { status: 200, headers: headers(type), body: await readFile(join(await swaggerUiDir(), name)) };
}
