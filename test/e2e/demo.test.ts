import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  DemoPages,
  buildDemoPage,
  chromiumMissing,
  launchChromium,
  registerIn,
  repoRoot,
} from '../support/demo-browser.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * The demo chat page (demo/, served at /) in Debian's headless Chromium, driven by playwright-core: two
 * users in two browser contexts register, see each other online, chat, and see typing, read receipts and
 * unread badges. The last state of the first user's page is saved to test-results/demo.png. Groups are
 * in demo-groups.test.ts.
 */

const SCREENSHOT = `${repoRoot}test-results/demo.png`;

describe('demo chat page in headless Chromium', { skip: chromiumMissing }, () => {
  let server: TestServer;
  let browser: Browser;
  let pages: DemoPages;
  const problems = () => pages.problems;

  before(async () => {
    buildDemoPage();
    server = await startServer({ RATE_LIMITS: 'off' });
    browser = await launchChromium();
    pages = new DemoPages(browser, server.url);
  });
  after(async () => {
    await pages?.close();
    await browser?.close();
    await server?.close();
  });

  const openPage = (label: string) => pages.open(label);

  it('serves the page with a CSP that allows only its own origin', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 200, 'GET / serves the demo page');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
    ])
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    assert.ok(!csp.includes('unsafe'), csp);
    const script = await fetch(new URL('/app.js', server.url));
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    // Other paths keep the API's answers and headers.
    const api = await fetch(new URL('/healthz', server.url));
    const missing = await fetch(new URL('/nope.js', server.url));
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { message: 'Route not found: GET /nope.js' });
    assert.equal(missing.headers.get('content-security-policy'), api.headers.get('content-security-policy'));
    assert.notEqual(api.headers.get('content-security-policy'), csp);
  });

  it('two users: online list, a message, typing, read receipt and unread badges', async () => {
    const started = Date.now();
    const ada = await openPage('ada');
    await registerIn(ada, 'Ada');
    const ben = await openPage('ben');
    await registerIn(ben, 'Ben');

    // Each sees the other online: Ada through user_online, Ben through online_users.
    const benOnAda = ada.locator('#contacts li.online', { hasText: 'Ben' });
    const adaOnBen = ben.locator('#contacts li.online', { hasText: 'Ada' });
    await benOnAda.waitFor();
    await adaOnBen.waitFor();

    // Ada writes to Ben; Ben has not opened the conversation: unread badges on his side.
    await benOnAda.locator('button').click();
    await ada.locator('#peer-name', { hasText: 'Ben' }).waitFor();
    await ada.locator('#draft').fill('Hello Ben!');
    await ada.locator('#send-form button[type=submit]').click();
    const sent = ada.locator('#messages li.mine', { hasText: 'Hello Ben!' });
    await sent.locator('.status', { hasText: /^sent$/ }).waitFor();
    await adaOnBen.locator('.badge', { hasText: /^1$/ }).waitFor();
    await ben.locator('#unread-total', { hasText: /^1$/ }).waitFor();

    // Ben opens it: the message is shown and marked read; Ada sees the receipt; Ben's badges go.
    await adaOnBen.locator('button').click();
    await ben.locator('#messages li.theirs', { hasText: 'Hello Ben!' }).waitFor();
    await sent.locator('.status', { hasText: /^read$/ }).waitFor();
    await adaOnBen.locator('.badge').waitFor({ state: 'detached' });
    await ben.locator('#unread-total').waitFor({ state: 'hidden' });

    // Ben types: Ada sees the indicator; sending ends it, and Ada (in the conversation) reads the reply.
    await ben.locator('#draft').pressSequentially('Hi Ada', { delay: 20 });
    await ada.locator('#typing', { hasText: 'Ben is typing…' }).waitFor();
    await ben.locator('#send-form button[type=submit]').click();
    await ada.locator('#messages li.theirs', { hasText: 'Hi Ada' }).waitFor();
    await ada.locator('#typing', { hasText: /^$/ }).waitFor();
    await ben
      .locator('#messages li.mine', { hasText: 'Hi Ada' })
      .locator('.status', { hasText: /^read$/ })
      .waitFor();
    assert.equal(await ada.locator('#unread-total').isHidden(), true);

    mkdirSync(`${repoRoot}test-results`, { recursive: true });
    await ada.screenshot({ path: SCREENSHOT });
    assert.deepEqual(problems(), [], 'no page errors and no console errors (CSP violations among them)');
    console.log(`# demo flow took ${Date.now() - started} ms`);
  });

  it('the inbox: each conversation with its last message and unread badge, live and after a reload', async () => {
    const cy = await openPage('cy');
    await registerIn(cy, 'Cy');
    const dee = await openPage('dee');
    await registerIn(dee, 'Dee');
    await dee.locator('#inbox-empty').waitFor();

    // Cy writes twice; Dee's inbox shows the conversation live, preview and badge following.
    await cy.locator('#contacts li.online', { hasText: 'Dee' }).locator('button').click();
    for (const text of ['First note', 'Second note']) {
      await cy.locator('#draft').fill(text);
      await cy.locator('#send-form button[type=submit]').click();
      await cy
        .locator('#messages li.mine', { hasText: text })
        .locator('.status', { hasText: 'sent' })
        .waitFor();
    }
    const entry = dee.locator('#inbox li', { hasText: 'Cy' });
    await entry.locator('.preview', { hasText: /^Second note$/ }).waitFor();
    await entry.locator('.badge', { hasText: /^2$/ }).waitFor();
    assert.equal(await dee.locator('#inbox-empty').isHidden(), true);
    // Cy's own inbox lists the conversation too, with nothing unread.
    await cy
      .locator('#inbox li', { hasText: 'Dee' })
      .locator('.preview', { hasText: 'Second note' })
      .waitFor();
    assert.equal(await cy.locator('#inbox li .badge').count(), 0);

    // After a reload the inbox comes from the server: the same preview and count.
    await dee.reload();
    await entry.locator('.preview', { hasText: /^Second note$/ }).waitFor();
    await entry.locator('.badge', { hasText: /^2$/ }).waitFor();

    // Opening it moves the read cursor: the badge goes, and Cy sees both messages read.
    await entry.locator('button').click();
    await dee.locator('#messages li.theirs', { hasText: 'Second note' }).waitFor();
    await entry.locator('.badge').waitFor({ state: 'detached' });
    await dee.locator('#unread-total').waitFor({ state: 'hidden' });
    for (const text of ['First note', 'Second note']) {
      await cy
        .locator('#messages li.mine', { hasText: text })
        .locator('.status', { hasText: /^read$/ })
        .waitFor();
    }
    assert.deepEqual(problems(), [], 'no page errors and no console errors');
  });
});
