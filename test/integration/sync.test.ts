import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, expectRejected, type TestClient } from '../support/socket.js';

type Missed = {
  messages: Array<{ _id: string; content: string; senderId: string; receiverId: string; senderName: string }>;
  hasMore: boolean;
  lastMessageId: string;
};

describe('sync: what a reconnecting client missed', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let carol: Registered;
  const open: TestClient[] = [];
  const connect = async (who: Registered) => {
    const client = await connectClient(server.url, who.token);
    open.push(client);
    return client;
  };
  const send = async (from: TestClient, to: Registered, content: string) => {
    const ack = await from.socket.emitWithAck('send_message', { receiverId: to.user._id, content });
    assert.equal(ack.success, true);
    return ack.message._id as string;
  };

  before(async () => {
    server = await startServer();
    [alice, bob, carol] = [
      await registerUser(server.url),
      await registerUser(server.url),
      await registerUser(server.url),
    ];
  });
  after(async () => {
    for (const client of open) client.close();
    await server?.close();
  });

  it('returns every message since the last one the client had, in order, across conversations', async () => {
    const a1 = await connect(alice);
    const b = await connect(bob);
    const c = await connect(carol);
    const seen = await send(b, alice, 'before the drop');
    await a1.next('receive_message', (m: { _id: string }) => m._id === seen);
    a1.close();

    const missedIds = [
      await send(b, alice, 'missed 1'),
      await send(c, alice, 'missed 2'),
      await send(b, alice, 'missed 3'),
    ];
    await send(b, carol, 'not for alice');
    const otherTab = await connect(alice);
    missedIds.push(await send(otherTab, carol, 'sent from another tab'));

    const a2 = await connect(alice);
    const reply = (await a2.socket.emitWithAck('sync', { lastMessageId: seen })) as Missed;
    assert.deepEqual(
      reply.messages.map((m) => m.content),
      ['missed 1', 'missed 2', 'missed 3', 'sent from another tab'],
    );
    assert.deepEqual(
      reply.messages.map((m) => m._id),
      missedIds,
    );
    assert.equal(reply.hasMore, false);
    assert.equal(reply.lastMessageId, missedIds.at(-1));
    assert.equal(reply.messages[1]?.senderName, carol.user.name);
    // The reply event carries the same payload as the ack.
    assert.deepEqual(await a2.next('missed_messages'), reply);

    // Nothing new since: an empty page that keeps the cursor.
    const none = (await a2.socket.emitWithAck('sync', { lastMessageId: reply.lastMessageId })) as Missed;
    assert.deepEqual(none, { messages: [], hasMore: false, lastMessageId: reply.lastMessageId });
  });

  it('pages with limit and hasMore, with no gap and no duplicate, on sockets and REST alike', async () => {
    const dave = await registerUser(server.url);
    const d = await connect(dave);
    const b = await connect(bob);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await send(b, dave, `n${i}`));

    const collected: string[] = [];
    let cursor: string | undefined;
    for (let round = 0; round < 10; round++) {
      const page = (await d.socket.emitWithAck(
        'sync',
        cursor ? { lastMessageId: cursor, limit: 2 } : { limit: 2 },
      )) as Missed;
      collected.push(...page.messages.map((m) => m._id));
      cursor = page.lastMessageId;
      if (!page.hasMore) break;
    }
    assert.deepEqual(collected, ids);

    const rest = await http(server.url, 'GET', `/api/messages/sync?lastMessageId=${ids[1]}&limit=2`, {
      token: dave.token,
    });
    assert.equal(rest.status, 200);
    assert.deepEqual(
      (rest.body as Missed).messages.map((m) => m._id),
      ids.slice(2, 4),
    );
    assert.equal(rest.body.hasMore, true);
    const fromStart = await http(server.url, 'GET', '/api/messages/sync', { token: dave.token });
    assert.deepEqual(
      (fromStart.body as Missed).messages.map((m) => m._id),
      ids,
    );
  });

  it('refuses a bad cursor or limit with a clear error', async () => {
    const a = await connect(alice);
    await expectRejected(
      a,
      'sync',
      { lastMessageId: 'abc' },
      'lastMessageId must be a message id (a string of digits)',
    );
    await expectRejected(a, 'sync', { lastMessageId: '1', limit: 0 }, 'limit must be a positive integer');
    const rest = await http(server.url, 'GET', '/api/messages/sync?lastMessageId=-4', { token: alice.token });
    assert.equal(rest.status, 400);
    assert.equal(rest.body.message, 'lastMessageId must be a message id (a string of digits)');
    assert.equal((await http(server.url, 'GET', '/api/messages/sync')).status, 401);
  });
});
