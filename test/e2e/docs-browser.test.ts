import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../lib/routes.ts';
import { closeClientsAfterAll } from '../support/db.ts';
import { type RunningApi, startLocalApi } from '../support/local-api.ts';

/** The docs page in a real headless Chromium (Debian's package; `.ci/run` installs it). */

closeClientsAfterAll();

let api: RunningApi;
let browser: Browser;

beforeAll(async () => {
  api = await startLocalApi();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

describe('Docs page', () => {
  it('lists every route and runs a request against the local API from the page', async () => {
    const created = await fetch(`${api.url}/org/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ organization_name: 'Docs Browser Co', email: 'docs@browser.example', password: 'browser password' }),
    });
    expect(created.status).toBe(201);
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);

    await page.goto(`${api.url}/docs`);
    await page.waitForSelector('.opblock-summary');
    const listed = await page.$$eval('.opblock-summary', (blocks) =>
      blocks.map(
        (b) =>
          `${b.querySelector('.opblock-summary-method')?.textContent} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
      ),
    );

    expect(listed.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());

    const block = page.locator('.opblock-get', { has: page.locator('[data-path="/org/get"]') });
    await block.locator('.opblock-summary').click();
    // The page opens operations ready to try (tryItOutEnabled).
    await block.locator('input[placeholder="organization_name"]').fill('Docs Browser Co');
    await block.locator('button.execute').click();
    const status = block.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();

    expect((await status.textContent())?.trim()).toBe('200');
    expect(await block.locator('.live-responses-table .microlight').first().textContent()).toMatch(
      /org_docs_browser_co_[0-9a-f]{10}/,
    );
  });
});
