import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type TestServer } from '../support/server.js';
import { unmet } from '../support/required.js';

/**
 * The Swagger UI at /docs in Debian's headless Chromium: under its own CSP every script, style and the
 * document load (no violation, no failed request, no console error), every operation is shown, and "Try it
 * out" reaches the API. The page is saved to test-results/api-docs.png.
 */

const CHROMIUM = '/usr/bin/chromium';
const results = fileURLToPath(new URL('../../test-results/', import.meta.url));
const skip = unmet(!existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install -y chromium)`);

describe('Swagger UI at /docs in headless Chromium', { skip }, () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    server = await startServer({ RATE_LIMITS: 'off' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads under its CSP, lists every operation and can call the API', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    // A page script (a string: this file has no DOM types) reports CSP violations on the console.
    await page.addInitScript(
      `document.addEventListener('securitypolicyviolation', (e) =>
        console.error('CSP violation: ' + e.effectiveDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));`,
    );
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('requestfailed', (req) => problems.push(`failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()}: ${res.url()}`);
    });

    const response = await page.goto(`${server.url}/docs`);
    assert.equal(response?.status(), 200);
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    await page
      .locator('.opblock')
      .nth(operations - 1)
      .waitFor()
      .catch((err: Error) => assert.fail(`${err.message}\n${problems.join('\n')}`));
    assert.equal(await page.locator('.opblock').count(), operations);
    assert.match(await page.locator('.info .title').first().innerText(), /^Parley/);

    // Try it out: GET /healthz from the page (connect-src 'self').
    const health = page.locator('.opblock', {
      has: page.locator('.opblock-summary-path', { hasText: /^\/healthz$/ }),
    });
    await health.locator('.opblock-summary').click();
    await health.getByRole('button', { name: 'Try it out' }).click();
    await health.getByRole('button', { name: 'Execute' }).click();
    const status = health.locator('.live-responses-table .response .response-col_status').first();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), '200');
    assert.match(await health.locator('.live-responses-table').innerText(), /"status": "ok"/);

    mkdirSync(results, { recursive: true });
    await page.screenshot({ path: `${results}api-docs.png` });
    assert.deepEqual(problems, []);
  });
});
