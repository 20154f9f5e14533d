import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DemoPages,
  buildDemoPage,
  chromiumMissing,
  launchChromium,
  registerIn,
  repoRoot,
} from '../support/demo-browser.js';
import { startServer, type TestServer } from '../support/server.js';
import { sleep } from '../support/socket.js';

/**
 * Groups on the demo page in headless Chromium: three users in three browser contexts. Ada creates a group
 * with Ben, adds Cal, all three chat; Ada removes Cal mid-conversation: Cal's page drops the group and gets
 * nothing more of it (checked in the page and on its WebSocket), while Ada and Ben keep chatting; then Ben
 * leaves. The last state of Ada's page is saved to test-results/demo-groups.png.
 */

const SCREENSHOT = `${repoRoot}test-results/demo-groups.png`;

describe('demo page: groups in headless Chromium', { skip: chromiumMissing }, () => {
  let server: TestServer;
  let browser: Browser;
  let pages: DemoPages;

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

  /** Sends `text` in the open conversation and waits for the server's acknowledgement. */
  async function say(page: Page, text: string) {
    await page.locator('#draft').fill(text);
    await page.locator('#send-form button[type=submit]').click();
    await page
      .locator('#messages li.mine', { hasText: text })
      .locator('.status', { hasText: /^(sent|read)$/ })
      .waitFor();
  }

  /** Waits until `page` shows `text` from `sender` in the open conversation, with the sender's name. */
  async function heard(page: Page, sender: string, text: string) {
    const item = page.locator('#messages li.theirs', { hasText: text });
    await item.locator('.sender', { hasText: new RegExp(`^${sender}$`) }).waitFor();
  }

  it('create, add, chat, remove one member mid-conversation (who sees nothing more), leave', async () => {
    const ada = await pages.open('ada');
    await registerIn(ada, 'Ada');
    const ben = await pages.open('ben');
    await registerIn(ben, 'Ben');
    // Every frame Cal's page receives over its WebSocket, to show nothing of the group reaches it later.
    const calFrames: string[] = [];
    const cal = await pages.open('cal', (page) =>
      page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => calFrames.push(String(payload)))),
    );
    await registerIn(cal, 'Cal');
    for (const name of ['Ben', 'Cal']) await ada.locator('#contacts li.online', { hasText: name }).waitFor();

    // Ada creates "Launch" with Ben: it opens on her page and shows in Ben's inbox.
    await ada.locator('#new-group').click();
    const form = ada.locator('#group-form');
    await form.locator('[name=title]').fill('Launch');
    await form.locator('label', { hasText: 'Ben' }).locator('input').check();
    await form.locator('button[type=submit]').click();
    await form.waitFor({ state: 'hidden' });
    await ada.locator('#peer-name', { hasText: /^Launch$/ }).waitFor();
    await ada.locator('#members li', { hasText: 'Ben' }).waitFor();
    assert.equal(await ada.locator('#members li').count(), 2);
    const benEntry = ben.locator('#inbox li.group', { hasText: 'Launch' });
    await benEntry.waitFor();

    // Ada adds Cal from the members panel: the group appears in Cal's inbox.
    await ada.locator('#add-member').selectOption({ label: 'Cal' });
    await ada.locator('#add-member-form button[type=submit]').click();
    await ada.locator('#members li', { hasText: 'Cal' }).waitFor();
    await ada.locator('#messages li.event', { hasText: 'You added Cal' }).waitFor();
    const calEntry = cal.locator('#inbox li.group', { hasText: 'Launch' });
    await calEntry.waitFor();

    // All three chat. Ben's badge counts Ada's first message until he opens the group.
    await say(ada, 'Hello team');
    await benEntry.locator('.badge', { hasText: /^1$/ }).waitFor();
    await benEntry.locator('.preview', { hasText: 'Ada: Hello team' }).waitFor();
    await benEntry.locator('button').click();
    await heard(ben, 'Ada', 'Hello team');
    await benEntry.locator('.badge').waitFor({ state: 'detached' });
    await calEntry.locator('button').click();
    await heard(cal, 'Ada', 'Hello team');
    await say(ben, 'Hi from Ben');
    await heard(ada, 'Ben', 'Hi from Ben');
    await heard(cal, 'Ben', 'Hi from Ben');
    await say(cal, 'Cal here');
    await heard(ada, 'Cal', 'Cal here');
    await heard(ben, 'Cal', 'Cal here');
    // Both others read Ada's messages: her receipt says so.
    await ada
      .locator('#messages li.mine', { hasText: 'Hello team' })
      .locator('.status', { hasText: /^read$/ })
      .waitFor();

    // Ada (the owner) removes Cal mid-conversation.
    await ada.locator('#members li', { hasText: 'Cal' }).locator('button.remove').click();
    await ada.locator('#members li', { hasText: 'Cal' }).waitFor({ state: 'detached' });
    await ben.locator('#messages li.event', { hasText: 'Ada removed Cal' }).waitFor();
    await ben.locator('#members li', { hasText: 'Cal' }).waitFor({ state: 'detached' });
    // Cal's page drops the group: out of the inbox, a notice, no sending.
    await cal.locator('#group-notice', { hasText: 'Ada removed you from Launch.' }).waitFor();
    await calEntry.waitFor({ state: 'detached' });
    assert.equal(await cal.locator('#draft').isDisabled(), true);
    const framesAtRemoval = calFrames.length;
    assert.ok(
      calFrames.some((f) => f.includes('Cal here')),
      'the frames are recorded (the check below is not vacuous)',
    );

    // Ada and Ben keep chatting; Cal gets none of it.
    await say(ada, 'After Cal left');
    await heard(ben, 'Ada', 'After Cal left');
    await ben.locator('#draft').pressSequentially('Still here', { delay: 10 });
    await ada.locator('#typing', { hasText: 'Ben is typing…' }).waitFor();
    await ben.locator('#send-form button[type=submit]').click();
    await heard(ada, 'Ben', 'Still here');
    await sleep(500);
    for (const text of ['After Cal left', 'Still here']) {
      assert.equal(await cal.locator('#messages li', { hasText: text }).count(), 0, `Cal shows no "${text}"`);
      assert.ok(!calFrames.some((f) => f.includes(text)), `Cal's socket never carried "${text}"`);
    }
    assert.deepEqual(
      calFrames.slice(framesAtRemoval).filter((f) => /typing|conversation_read|Launch/.test(f)),
      [],
      'no typing, read cursor or group change reached Cal after the removal',
    );
    assert.equal(await cal.locator('#unread-total').isHidden(), true);
    assert.equal(await cal.locator('#typing').textContent(), '');
    // What Cal saw before the removal stays on the page.
    await cal.locator('#messages li', { hasText: 'Cal here' }).waitFor();

    // Ben leaves: Ada sees it; Ben's inbox drops the group.
    await ben.locator('#leave-group').click();
    await ben.locator('#group-notice', { hasText: 'You left Launch.' }).waitFor();
    await benEntry.waitFor({ state: 'detached' });
    await ada.locator('#messages li.event', { hasText: 'Ben left' }).waitFor();
    assert.equal(await ada.locator('#members li').count(), 1);

    // After a reload the inboxes come from the server: the same picture.
    await cal.reload();
    await cal.locator('#chat').waitFor();
    await ada.locator('#inbox li.group', { hasText: 'Launch' }).waitFor();
    await sleep(300);
    assert.equal(await cal.locator('#inbox li.group').count(), 0);

    mkdirSync(`${repoRoot}test-results`, { recursive: true });
    await ada.screenshot({ path: SCREENSHOT });
    assert.deepEqual(pages.problems, [], 'no page errors and no console errors');
  });
});
