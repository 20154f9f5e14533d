import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, type TestClient } from '../support/socket.js';

type History = {
  messages: WireMessage[];
  conversationId: string;
  otherUser: { _id: string; name: string };
  pagination: { page: number; limit: number; hasMore: boolean };
};

const TOTAL = 120;
/** The contents m<from>..m<to - 1>, in order. */
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);
const contents = (h: History) => h.messages.map((m) => m.content);

describe('message history', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let carol: Registered;
  let aliceSocket: TestClient;
  let bobSocket: TestClient;

  const post = async (from: Registered, to: Registered, content: string): Promise<void> => {
    const res = await http(server.url, 'POST', '/api/messages', {
      token: from.token,
      body: { receiverId: to.user._id, content },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };

  /** Asks over the socket and returns the `message_history` event, checking the ack got the same. */
  const ask = async (client: TestClient, payload: Record<string, unknown>): Promise<History> => {
    const ack = await client.ack<History>('get_message_history', payload);
    const event = await client.next<History>('message_history');
    assert.deepEqual(ack, event, 'the ack receives the same payload as message_history');
    return event;
  };

  const rejected = async (client: TestClient, payload: unknown, message: RegExp | string): Promise<void> => {
    const ack = await client.ack('get_message_history', payload);
    assert.equal(ack.success, false);
    if (typeof message === 'string') assert.equal(ack.message, message);
    else assert.match(ack.message, message);
    assert.deepEqual(await client.next('error', (e: { message: string }) => e.message === ack.message), {
      message: ack.message,
    });
  };

  before(async () => {
    server = await startServer();
    alice = await registerUser(server.url, { name: 'Alice History' });
    bob = await registerUser(server.url, { name: 'Bob History' });
    carol = await registerUser(server.url, { name: 'Carol Elsewhere' });
    // Both directions interleaved, with other conversations in between that must never show up.
    for (let i = 0; i < TOTAL; i += 1) {
      if (i % 2 === 0) await post(alice, bob, `m${i}`);
      else await post(bob, alice, `m${i}`);
      if (i % 10 === 0) {
        await post(alice, carol, `carol-a${i}`);
        await post(carol, bob, `carol-b${i}`);
      }
    }
    [aliceSocket, bobSocket] = await Promise.all([
      connectClient(server.url, alice.token),
      connectClient(server.url, bob.token),
    ]);
  });
  after(async () => {
    aliceSocket?.close();
    bobSocket?.close();
    await server?.close();
  });

  it('page 1 holds the newest 50 messages, oldest first, with every field', async () => {
    const h = await ask(aliceSocket, { otherUserId: bob.user._id });
    assert.deepEqual(h.otherUser, { _id: bob.user._id, name: 'Bob History' });
    assert.deepEqual(h.pagination, { page: 1, limit: 50, hasMore: true });
    assert.deepEqual(contents(h), range(70, TOTAL));

    let previous: WireMessage | undefined;
    for (const m of h.messages) {
      const n = Number(m.content.slice(1));
      const fromAlice = n % 2 === 0;
      assert.match(m._id, /^\d+$/);
      assert.equal(new Date(m.sentAt).toISOString(), m.sentAt);
      assert.deepEqual(m, {
        _id: m._id,
        conversationId: h.conversationId,
        content: m.content,
        sentAt: m.sentAt,
        read: false,
        senderId: fromAlice ? alice.user._id : bob.user._id,
        senderName: fromAlice ? 'Alice History' : 'Bob History',
        receiverId: fromAlice ? bob.user._id : alice.user._id,
        receiverName: fromAlice ? 'Bob History' : 'Alice History',
      });
      if (previous) {
        assert.ok(BigInt(m._id) > BigInt(previous._id), 'ids increase');
        assert.ok(m.sentAt >= previous.sentAt, 'oldest first');
      }
      previous = m;
    }
  });

  it('pages back through the conversation until hasMore is false', async () => {
    const page2 = await ask(aliceSocket, { otherUserId: bob.user._id, page: 2 });
    assert.deepEqual(contents(page2), range(20, 70));
    assert.deepEqual(page2.pagination, { page: 2, limit: 50, hasMore: true });

    const page3 = await ask(aliceSocket, { otherUserId: bob.user._id, page: 3, limit: 50 });
    assert.deepEqual(contents(page3), range(0, 20));
    assert.deepEqual(page3.pagination, { page: 3, limit: 50, hasMore: false });

    const page4 = await ask(aliceSocket, { otherUserId: bob.user._id, page: 4 });
    assert.deepEqual(page4.messages, []);
    assert.equal(page4.pagination.hasMore, false);

    const small = await ask(aliceSocket, { otherUserId: bob.user._id, page: 2, limit: 7 });
    assert.deepEqual(contents(small), range(106, 113));
    assert.deepEqual(small.pagination, { page: 2, limit: 7, hasMore: true });
  });

  it('caps limit at 100', async () => {
    const h = await ask(aliceSocket, { otherUserId: bob.user._id, limit: 200 });
    assert.equal(h.messages.length, 100);
    assert.deepEqual(contents(h), range(20, TOTAL));
    assert.deepEqual(h.pagination, { page: 1, limit: 100, hasMore: true });

    const rest = await ask(aliceSocket, { otherUserId: bob.user._id, limit: 100, page: 2 });
    assert.deepEqual(contents(rest), range(0, 20));
    assert.equal(rest.pagination.hasMore, false);
  });

  it('shows the same conversation from both sides and nothing from other conversations', async () => {
    const fromAlice = await ask(aliceSocket, { otherUserId: bob.user._id, limit: 100 });
    const fromBob = await ask(bobSocket, { otherUserId: alice.user._id, limit: 100 });
    assert.deepEqual(fromBob.otherUser, { _id: alice.user._id, name: 'Alice History' });
    assert.deepEqual(fromBob.messages, fromAlice.messages);
    const older = await ask(bobSocket, { otherUserId: alice.user._id, limit: 100, page: 2 });
    const all = [...contents(older), ...contents(fromBob)];
    assert.deepEqual(all, range(0, TOTAL), 'exactly the pair’s 120 messages');

    const withCarol = await ask(aliceSocket, { otherUserId: carol.user._id, limit: 100 });
    assert.deepEqual(
      contents(withCarol),
      Array.from({ length: 12 }, (_, i) => `carol-a${i * 10}`),
    );
    assert.equal(withCarol.pagination.hasMore, false);
  });

  it('rejects limit 0, page 0 and non-numeric pages with an error naming the field', async () => {
    await rejected(aliceSocket, { otherUserId: bob.user._id, limit: 0 }, /^limit\b/);
    await rejected(aliceSocket, { otherUserId: bob.user._id, limit: -5 }, /^limit\b/);
    await rejected(aliceSocket, { otherUserId: bob.user._id, page: 0 }, /^page\b/);
    await rejected(aliceSocket, { otherUserId: bob.user._id, page: 'abc' }, /^page\b/);
    await rejected(aliceSocket, { otherUserId: bob.user._id, page: 1.5 }, /^page\b/);
    await rejected(aliceSocket, { page: 1 }, 'otherUserId is required');
    await rejected(aliceSocket, 'bob', 'get_message_history payload must be an object');

    for (const query of ['limit=0', 'page=0', 'page=abc']) {
      const res = await http(server.url, 'GET', `/api/messages/${bob.user._id}?${query}`, {
        token: alice.token,
      });
      assert.equal(res.status, 400, query);
      assert.match(res.body.message, new RegExp(`^${query.split('=')[0]}\\b`));
    }
  });

  it('answers "User not found" for an unknown otherUserId', async () => {
    await rejected(aliceSocket, { otherUserId: 'no-such-user' }, 'User not found');
    const res = await http(server.url, 'GET', '/api/messages/no-such-user', { token: alice.token });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { message: 'User not found' });
  });

  it('GET /api/messages/:otherUserId returns the same body as the event', async () => {
    for (const [query, payload] of [
      ['', {}],
      ['?page=2', { page: 2 }],
      ['?page=3&limit=30', { page: 3, limit: 30 }],
      ['?limit=500', { limit: 500 }],
    ] as const) {
      const res = await http(server.url, 'GET', `/api/messages/${bob.user._id}${query}`, {
        token: alice.token,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, await ask(aliceSocket, { otherUserId: bob.user._id, ...payload }), query);
    }
    const anonymous = await http(server.url, 'GET', `/api/messages/${bob.user._id}`);
    assert.equal(anonymous.status, 401);
  });
});
