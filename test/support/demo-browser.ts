import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { unmet } from './required.js';

/**
 * The demo page (demo/, served at /) in Debian's headless Chromium, driven by playwright-core: builds the
 * page, launches the browser, opens pages in their own contexts (each another user) and signs them up.
 * Nothing is ever downloaded: the browser is `/usr/bin/chromium` or the tests skip.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const chromiumMissing = unmet(
  !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (apt-get install -y chromium)`,
);

export function buildDemoPage(): void {
  const built = spawnSync(process.execPath, ['scripts/build-demo.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(built.status, 0, `building the demo failed:\n${built.stdout}${built.stderr}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Browser contexts opened by `openPage`, and the page errors and console errors they reported. */
export class DemoPages {
  readonly contexts: BrowserContext[] = [];
  readonly problems: string[] = [];

  constructor(
    private readonly browser: Browser,
    private readonly url: string,
  ) {}

  /** A fresh browser context (its own storage: another user) on the demo page; records page errors. */
  async open(label: string, before?: (page: Page) => void): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1000, height: 640 } });
    this.contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(5000);
    page.on('pageerror', (err) => this.problems.push(`${label}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') this.problems.push(`${label} console: ${msg.text()}`);
    });
    before?.(page);
    const response = await page.goto(this.url);
    assert.equal(response?.status(), 200, 'GET / serves the demo page');
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined);
  }
}

/** Signs up `name` on the page (a unique username); resolves once the chat is shown. */
export async function registerIn(page: Page, name: string): Promise<void> {
  const username = `${name.toLowerCase()}_${Date.now().toString(36)}`;
  const form = page.locator('#register-form');
  await form.locator('[name=name]').fill(name);
  await form.locator('[name=username]').fill(username);
  await form.locator('[name=email]').fill(`${username}@example.test`);
  await form.locator('[name=password]').fill('a demo password');
  await form.locator('button[type=submit]').click();
  await page.locator('#chat').waitFor();
  await page.locator('#me', { hasText: `${name} (@${username})` }).waitFor();
}
