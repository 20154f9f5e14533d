import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

const withContent =
  (content: string) =>
  (p: any): boolean =>
    p.content === content || p.message?.content === content;

describe('unread count and POST /api/messages', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let carol: Registered;
  const clients: TestClient[] = [];

  const connect = async (user: Registered): Promise<TestClient> => {
    const client = await connectClient(server.url, user.token);
    clients.push(client);
    return client;
  };

  const post = async (from: Registered, to: Registered, content: string): Promise<WireMessage> => {
    const res = await http(server.url, 'POST', '/api/messages', {
      token: from.token,
      body: { receiverId: to.user._id, content },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.message;
  };

  /** The count through the event (with an ack that must agree) and through REST, which must agree too. */
  const unread = async (client: TestClient, user: Registered): Promise<number> => {
    const ack = await client.ack('get_unread_count', {});
    assert.deepEqual(await client.next('unread_count'), ack);
    const rest = await http(server.url, 'GET', '/api/messages/unread-count', { token: user.token });
    assert.equal(rest.status, 200);
    assert.deepEqual(rest.body, ack, 'REST and socket agree');
    assert.deepEqual(Object.keys(ack), ['count']);
    assert.equal(typeof ack.count, 'number');
    return ack.count;
  };

  before(async () => {
    server = await startServer();
    [alice, bob, carol] = await Promise.all([
      registerUser(server.url, { name: 'Alice Unread' }),
      registerUser(server.url, { name: 'Bob Unread' }),
      registerUser(server.url, { name: 'Carol Unread' }),
    ]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it('counts unread received messages across conversations, not sent ones, and drops on read', async () => {
    const [aliceSocket, bobSocket, carolSocket] = await Promise.all([
      connect(alice),
      connect(bob),
      connect(carol),
    ]);
    assert.equal(await unread(aliceSocket, alice), 0);

    const b1 = await post(bob, alice, 'b1');
    const b2 = await post(bob, alice, 'b2');
    for (const content of ['c1', 'c2', 'c3']) {
      const ack = await carolSocket.ack('send_message', { receiverId: alice.user._id, content });
      assert.equal(ack.success, true);
    }
    await post(alice, bob, 'a1');
    await post(alice, bob, 'a2');

    assert.equal(await unread(aliceSocket, alice), 5);
    assert.equal(await unread(bobSocket, bob), 2);
    assert.equal(await unread(carolSocket, carol), 0);

    await aliceSocket.ack('mark_message_read', { messageId: b1._id });
    assert.equal(await unread(aliceSocket, alice), 4);
    const patched = await http(server.url, 'PATCH', `/api/messages/${b2._id}/read`, {
      token: alice.token,
    });
    assert.equal(patched.status, 200);
    assert.equal(await unread(aliceSocket, alice), 3);
    // Marking again does not count twice.
    await aliceSocket.ack('mark_message_read', { messageId: b2._id });
    assert.equal(await unread(aliceSocket, alice), 3);
    assert.equal(await unread(bobSocket, bob), 2, 'the sender’s own count is untouched');
  });

  it('answers with no payload, with a callback as the only argument, and with payload and ack', async () => {
    const socket = await connect(alice);
    socket.emit('get_unread_count');
    assert.deepEqual(await socket.next('unread_count'), { count: 3 });

    const onlyCallback = await socket.ack('get_unread_count');
    assert.deepEqual(onlyCallback, { count: 3 });
    assert.deepEqual(await socket.next('unread_count'), { count: 3 }, 'the event is still emitted');

    socket.emit('get_unread_count', {});
    assert.deepEqual(await socket.next('unread_count'), { count: 3 });
    await sleep(200);
    assert.equal(socket.all('error').length, 0, 'none of these forms is an error');
  });

  it('GET /api/messages/unread-count requires a token', async () => {
    const res = await http(server.url, 'GET', '/api/messages/unread-count');
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { message: 'Authentication error: No token provided' });
    const bad = await http(server.url, 'GET', '/api/messages/unread-count', { token: 'not-a-jwt' });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { message: 'Authentication error: Invalid token' });
  });

  it('POST /api/messages answers 201 and delivers in real time exactly like send_message', async () => {
    const [bobTab1, bobTab2, carolTab1, carolTab2, aliceTab] = await Promise.all([
      connect(bob),
      connect(bob),
      connect(carol),
      connect(carol),
      connect(alice),
    ]);
    const before = Date.now();
    const res = await http(server.url, 'POST', '/api/messages', {
      token: bob.token,
      body: { receiverId: carol.user._id, content: '  over REST  ' },
    });
    assert.equal(res.status, 201);
    const message: WireMessage = res.body.message;
    assert.match(message._id, /^\d+$/);
    assert.equal(new Date(message.sentAt).toISOString(), message.sentAt);
    assert.ok(Math.abs(Date.parse(message.sentAt) - before) < 5000);
    assert.deepEqual(res.body, {
      success: true,
      message: {
        _id: message._id,
        conversationId: message.conversationId,
        content: 'over REST',
        sentAt: message.sentAt,
        read: false,
        senderId: bob.user._id,
        senderName: 'Bob Unread',
        receiverId: carol.user._id,
        receiverName: 'Carol Unread',
      },
    });

    for (const tab of [bobTab1, bobTab2]) {
      assert.deepEqual(await tab.next('message_sent', withContent('over REST')), res.body);
    }
    for (const tab of [carolTab1, carolTab2]) {
      assert.deepEqual(await tab.next('receive_message', withContent('over REST')), message);
      assert.deepEqual(await tab.next('message_notification'), {
        type: 'new_message',
        from: { _id: bob.user._id, name: 'Bob Unread' },
        message: 'over REST',
        timestamp: message.sentAt,
        conversationId: message.conversationId,
      });
    }
    await sleep(250);
    assert.equal(bobTab1.all('receive_message').filter(withContent('over REST')).length, 0);
    assert.equal(carolTab1.all('message_sent').filter(withContent('over REST')).length, 0);
    assert.equal(aliceTab.all('receive_message').length, 0, 'a third user hears nothing');
    assert.equal(aliceTab.all('message_notification').length, 0);
  });

  it('POST /api/messages validates its body: 400 naming the field, 404, 401', async () => {
    const carolSocket = await connect(carol);
    const before = await unread(carolSocket, carol);
    const cases: [unknown, number, string][] = [
      [{ content: 'hi' }, 400, 'receiverId is required'],
      [{ receiverId: carol.user._id }, 400, 'content is required'],
      [{ receiverId: carol.user._id, content: 42 }, 400, 'content must be a string'],
      [{ receiverId: 7, content: 'hi' }, 400, 'receiverId must be a string'],
      [
        { receiverId: carol.user._id, content: 'x'.repeat(5001) },
        400,
        'content must be at most 5000 characters',
      ],
      [{ receiverId: alice.user._id, content: 'self' }, 400, 'receiverId must be another user'],
      [[1, 2], 400, 'request body must be an object'],
      [{ receiverId: 'no-such-user', content: 'hi' }, 404, 'Receiver not found'],
    ];
    for (const [body, status, message] of cases) {
      const res = await http(server.url, 'POST', '/api/messages', { token: alice.token, body });
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.deepEqual(res.body, { message });
    }
    const blank = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: carol.user._id, content: ' \n\t ' },
    });
    assert.equal(blank.status, 400);
    assert.match(blank.body.message, /^content /);

    const anonymous = await http(server.url, 'POST', '/api/messages', {
      body: { receiverId: carol.user._id, content: 'hi' },
    });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, { message: 'Authentication error: No token provided' });

    assert.equal(await unread(carolSocket, carol), before, 'nothing was stored');
  });
});
