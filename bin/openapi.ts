#!/usr/bin/env node
/**
 * Writes the OpenAPI document generated from the route table and the functions' contracts.
 *
 *   node bin/openapi.ts            -> functions/openapi/openapi.json (served by GET /openapi.json)
 *   node bin/openapi.ts --out FILE -> FILE as well
 *   node bin/openapi.ts --check    -> exit 1 when the committed document is out of date
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildOpenApi } from '../lib/openapi.ts';
import { routes } from '../lib/routes.ts';

export const DOCUMENT_PATH = fileURLToPath(new URL('../functions/openapi/openapi.json', import.meta.url));

export async function renderOpenApi(): Promise<string> {
  return `${JSON.stringify(await buildOpenApi(routes), null, 2)}\n`;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, check: { type: 'boolean', default: false } } });
  const text = await renderOpenApi();
  if (values.check) {
    const current = await readFile(DOCUMENT_PATH, 'utf8').catch(() => '');
    if (current !== text) {
      console.error(`${DOCUMENT_PATH} is out of date: run npm run openapi`);
      process.exit(1);
    }
  } else {
    await writeFile(DOCUMENT_PATH, text);
    if (values.out) await writeFile(values.out, text);
    console.log(`Wrote ${values.out ?? DOCUMENT_PATH}`);
  }
}
