import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, type TestClient } from '../support/socket.js';

type Transport = 'polling' | 'websocket';

const transportOf = (client: TestClient): string => client.socket.io.engine.transport.name;

describe('the core flow over HTTP long-polling', () => {
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  const connect = async (user: Registered, transport: Transport): Promise<TestClient> => {
    const client = await connectClient(server.url, user.token, { transports: [transport] });
    clients.push(client);
    assert.equal(transportOf(client), transport);
    return client;
  };

  /** One message from `from` to `to`, read by `to`, with every event checked on both sides. */
  const exchange = async (
    from: { user: Registered; client: TestClient },
    to: { user: Registered; client: TestClient },
    content: string,
  ): Promise<void> => {
    const ack = await from.client.ack('send_message', {
      receiverId: to.user.user._id,
      content: ` ${content} `,
    });
    const message = {
      _id: ack.message?._id,
      conversationId: ack.message?.conversationId,
      content,
      sentAt: ack.message?.sentAt,
      read: false,
      senderId: from.user.user._id,
      senderName: from.user.user.name,
      receiverId: to.user.user._id,
      receiverName: to.user.user.name,
    };
    assert.deepEqual(ack, { success: true, message });
    assert.match(message._id, /^\d+$/);
    assert.equal(new Date(message.sentAt).toISOString(), message.sentAt);
    assert.deepEqual(await from.client.next('message_sent', (p) => p.message._id === message._id), ack);
    assert.deepEqual(await to.client.next('receive_message', (p) => p._id === message._id), message);
    assert.deepEqual(await to.client.next('message_notification', (p) => p.timestamp === message.sentAt), {
      type: 'new_message',
      from: { _id: from.user.user._id, name: from.user.user.name },
      message: content,
      timestamp: message.sentAt,
      conversationId: message.conversationId,
    });

    to.client.emit('mark_message_read', { messageId: message._id });
    const read = await from.client.next('message_read', (p) => p.messageId === message._id);
    assert.deepEqual(read, {
      messageId: message._id,
      readBy: { _id: to.user.user._id, name: to.user.user.name },
      readAt: read.readAt,
    });
    assert.equal(new Date(read.readAt).toISOString(), read.readAt);
    assert.deepEqual(await to.client.next('message_read_confirmed', (p) => p.message._id === message._id), {
      success: true,
      message: { ...message, read: true },
    });
  };

  /** Connects A then B, checks the connection and presence events, and exchanges messages both ways. */
  const coreFlow = async (transportA: Transport, transportB: Transport): Promise<void> => {
    const [alice, bob] = await Promise.all([
      registerUser(server.url, { name: `Alice ${transportA}` }),
      registerUser(server.url, { name: `Bob ${transportB}` }),
    ]);
    const aliceClient = await connect(alice, transportA);
    assert.deepEqual(aliceClient.all('connection'), [
      { success: true, user: { _id: alice.user._id, name: alice.user.name, username: alice.user.username } },
    ]);
    const aliceOnline = await aliceClient.next('online_users');
    assert.ok(Array.isArray(aliceOnline));
    assert.ok(!aliceOnline.some((u: { _id: string }) => u._id === alice.user._id), 'not listing oneself');

    const bobClient = await connect(bob, transportB);
    assert.deepEqual(await aliceClient.next('user_online', (p) => p.userId === bob.user._id), {
      userId: bob.user._id,
      name: bob.user.name,
      username: bob.user.username,
    });
    const bobOnline = await bobClient.next('online_users');
    const listed = bobOnline.find((u: { _id: string }) => u._id === alice.user._id);
    assert.deepEqual(listed, {
      userId: alice.user._id,
      _id: alice.user._id,
      name: alice.user.name,
      username: alice.user.username,
      email: alice.user.email,
      role: 'customer',
      lastSeen: listed?.lastSeen,
    });
    assert.equal(new Date(listed.lastSeen).toISOString(), listed.lastSeen);

    const a = { user: alice, client: aliceClient };
    const b = { user: bob, client: bobClient };
    await exchange(a, b, `hello from ${transportA}`);
    await exchange(b, a, `hello back from ${transportB}`);

    const history = await aliceClient.ack('get_message_history', { otherUserId: bob.user._id });
    assert.deepEqual(
      history.messages.map((m: { content: string; read: boolean }) => [m.content, m.read]),
      [
        [`hello from ${transportA}`, true],
        [`hello back from ${transportB}`, true],
      ],
    );
    assert.deepEqual(await bobClient.ack('get_unread_count'), { count: 0 });

    bobClient.close();
    const offline = await aliceClient.next('user_offline', (p) => p.userId === bob.user._id);
    assert.deepEqual(offline, { userId: bob.user._id, lastSeen: offline.lastSeen });
    assert.equal(new Date(offline.lastSeen).toISOString(), offline.lastSeen);
    aliceClient.close();
  };

  it('works with polling only on both sides', async () => {
    await coreFlow('polling', 'polling');
  });

  it('works between a polling client and a websocket client', async () => {
    await coreFlow('polling', 'websocket');
  });

  it('works between a websocket client and a polling client', async () => {
    await coreFlow('websocket', 'polling');
  });
});
