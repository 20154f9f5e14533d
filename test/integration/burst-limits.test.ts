import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TOO_MANY, connectClient, type TestClient } from '../support/socket.js';

/**
 * The per-second burst windows beside the per-minute limits, at their defaults (an empty setting is the
 * default; the test servers otherwise turn bursts off).
 */
describe('burst windows (defaults: 10 messages, 20 typing events, 50 read receipts a second)', () => {
  let server: TestServer;
  let ada: Registered;
  let ben: Registered;
  const open: TestClient[] = [];

  before(async () => {
    server = await startServer({
      RATE_LIMIT_SEND_BURST: '',
      RATE_LIMIT_TYPING_BURST: '',
      RATE_LIMIT_READ_BURST: '',
    });
    [ada, ben] = [await registerUser(server.url), await registerUser(server.url)];
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  it('a 300-message burst meets the limit: about 10 a second pass, the rest are refused and not stored', async () => {
    const sender = await connectClient(server.url, ada.token);
    open.push(sender);
    const started = Date.now();
    const acks = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        sender.ack<{ success: boolean; message: string | { _id: string } }>('send_message', {
          receiverId: ben.user._id,
          content: `burst ${i}`,
        }),
      ),
    );
    const seconds = Math.ceil((Date.now() - started) / 1000);
    const accepted = acks.filter((a) => a.success).length;
    // One window a second: at most 10 in each window the burst touched (plus one window's edge).
    assert.ok(accepted >= 10, `accepted ${accepted}`);
    assert.ok(accepted <= 10 * (seconds + 1), `accepted ${accepted} in ${seconds} s`);
    for (const refused of acks.filter((a) => !a.success))
      assert.match(String(refused.message), TOO_MANY('messages'));
    const unread = await http(server.url, 'GET', '/api/messages/unread-count', { token: ben.token });
    assert.deepEqual(unread.body, { count: accepted });

    // REST shares the window; once it has passed, sending works again.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const again = await http(server.url, 'POST', '/api/messages', {
      token: ada.token,
      body: { receiverId: ben.user._id, content: 'after the burst' },
    });
    assert.equal(again.status, 201);
  });

  it('typing events and read receipts have their own burst windows', async () => {
    const typist = await connectClient(server.url, ben.token);
    open.push(typist);
    const typing = await Promise.all(
      Array.from({ length: 60 }, () =>
        typist.ack<{ success: boolean }>('typing_start', { receiverId: ada.user._id }),
      ),
    );
    const typed = typing.filter((t) => t.success).length;
    assert.ok(typed >= 20 && typed <= 40, `typing events accepted: ${typed}`);

    const history = await http(server.url, 'GET', `/api/messages/${ada.user._id}?limit=100`, {
      token: ben.token,
    });
    const ids: string[] = history.body.messages.map((m: { _id: string }) => m._id);
    assert.ok(ids.length >= 10);
    // Mark every message read many times over, at once: well past 50 in one second.
    const marks = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        typist.ack<{ success: boolean; message?: string }>('mark_message_read', {
          messageId: ids[i % ids.length],
        }),
      ),
    );
    const marked = marks.filter((m) => m.success).length;
    assert.ok(marked >= 50 && marked <= 100, `read receipts accepted: ${marked}`);
    for (const refused of marks.filter((m) => !m.success))
      assert.match(String(refused.message), TOO_MANY('read receipts'));
  });
});
