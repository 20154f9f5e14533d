import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient, expectRejected } from '../support/socket.js';

type ReadPayload = { messageId: string; readBy: { _id: string; name: string }; readAt: string };
type Confirmed = { success: true; message: WireMessage };

const assertIso = (value: unknown): void => {
  assert.equal(typeof value, 'string');
  assert.equal(new Date(value as string).toISOString(), value);
};

const readOf = (id: string) => (p: ReadPayload) => p.messageId === id;
const confirmedOf = (id: string) => (p: Confirmed) => p.message?._id === id;

describe('read receipts', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let carol: Registered;
  let aliceTab1: TestClient;
  let aliceTab2: TestClient;
  let bobTab1: TestClient;
  let bobTab2: TestClient;
  let carolTab: TestClient;

  /** Alice sends `content` to Bob through REST; returns the stored message. */
  const send = async (content: string): Promise<WireMessage> => {
    const res = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content },
    });
    assert.equal(res.status, 201);
    return res.body.message;
  };

  /** The message as Bob's history shows it. */
  const stored = async (id: string): Promise<WireMessage | undefined> => {
    const res = await http(server.url, 'GET', `/api/messages/${alice.user._id}?limit=100`, {
      token: bob.token,
    });
    assert.equal(res.status, 200);
    return (res.body.messages as WireMessage[]).find((m) => m._id === id);
  };

  const rejected = (client: TestClient, payload: unknown, message: string) =>
    expectRejected(client, 'mark_message_read', payload, message);

  before(async () => {
    server = await startServer();
    alice = await registerUser(server.url, { name: 'Alice Writer' });
    bob = await registerUser(server.url, { name: 'Bob Reader' });
    carol = await registerUser(server.url, { name: 'Carol Outsider' });
    [aliceTab1, aliceTab2, bobTab1, bobTab2, carolTab] = await Promise.all([
      connectClient(server.url, alice.token),
      connectClient(server.url, alice.token),
      connectClient(server.url, bob.token),
      connectClient(server.url, bob.token),
      connectClient(server.url, carol.token),
    ]);
  });
  after(async () => {
    for (const c of [aliceTab1, aliceTab2, bobTab1, bobTab2, carolTab]) c?.close();
    await server?.close();
  });

  it('sends message_read to every sender tab and message_read_confirmed to every reader tab', async () => {
    const message = await send('please read me');
    const before = Date.now();
    bobTab1.emit('mark_message_read', { messageId: message._id });

    const read = await aliceTab1.next('message_read', readOf(message._id));
    assert.deepEqual(read, {
      messageId: message._id,
      readBy: { _id: bob.user._id, name: 'Bob Reader' },
      readAt: read.readAt,
    });
    assertIso(read.readAt);
    assert.ok(Date.parse(read.readAt) >= Date.parse(message.sentAt), 'read after sent');
    assert.ok(Math.abs(Date.parse(read.readAt) - before) < 5000, 'readAt is the time of marking');
    assert.deepEqual(await aliceTab2.next('message_read', readOf(message._id)), read);

    for (const tab of [bobTab1, bobTab2]) {
      assert.deepEqual(await tab.next('message_read_confirmed', confirmedOf(message._id)), {
        success: true,
        message: { ...message, read: true },
      });
    }
    assert.deepEqual(await stored(message._id), { ...message, read: true });

    await sleep(250);
    for (const tab of [aliceTab1, aliceTab2]) {
      assert.equal(tab.all('message_read_confirmed').filter(confirmedOf(message._id)).length, 0);
    }
    for (const tab of [bobTab1, bobTab2, carolTab]) {
      assert.equal(tab.all('message_read').filter(readOf(message._id)).length, 0);
    }
    assert.equal(carolTab.all('message_read_confirmed').length, 0);
  });

  it('gives the ack the same payload as message_read_confirmed', async () => {
    const message = await send('ack my read');
    const ack = await bobTab2.ack('mark_message_read', { messageId: message._id });
    assert.deepEqual(ack, { success: true, message: { ...message, read: true } });
    assert.deepEqual(await bobTab2.next('message_read_confirmed', confirmedOf(message._id)), ack);
    assert.deepEqual(await bobTab1.next('message_read_confirmed', confirmedOf(message._id)), ack);
    assert.equal((await aliceTab1.next('message_read', readOf(message._id))).readBy._id, bob.user._id);
  });

  it('lets only the receiver mark a message: "Access denied" for the sender and a third user', async () => {
    const message = await send('only bob may mark this');
    await rejected(aliceTab1, { messageId: message._id }, 'Access denied');
    await rejected(carolTab, { messageId: message._id }, 'Access denied');
    await sleep(250);
    assert.equal((await stored(message._id))?.read, false, 'the message stays unread');
    for (const tab of [aliceTab1, aliceTab2, bobTab1, carolTab]) {
      assert.equal(tab.all('message_read').filter(readOf(message._id)).length, 0);
      assert.equal(tab.all('message_read_confirmed').filter(confirmedOf(message._id)).length, 0);
    }
  });

  it('answers "Message not found" for unknown and garbage ids', async () => {
    for (const messageId of [
      '999999999',
      'abc',
      '12abc',
      '-1',
      '1.5',
      '1e3',
      '99999999999999999999999',
      '6f1c2d3e-aaaa-4bbb-8ccc-123456789abc',
    ]) {
      await rejected(bobTab1, { messageId }, 'Message not found');
    }
    await rejected(bobTab1, {}, 'messageId is required');
    await rejected(bobTab1, null, 'mark_message_read payload must be an object');
    assert.equal(bobTab1.socket.connected, true);
  });

  it('keeps the first readAt when a message is marked again, and re-emits both events', async () => {
    const message = await send('mark me twice');
    const first = await bobTab1.ack('mark_message_read', { messageId: message._id });
    const firstRead = await aliceTab1.next('message_read', readOf(message._id));
    await sleep(30);
    const again = await bobTab2.ack('mark_message_read', { messageId: message._id });
    assert.deepEqual(again, first);
    const secondRead = await aliceTab1.next('message_read', readOf(message._id));
    assert.equal(secondRead.readAt, firstRead.readAt, 'the first readAt is kept');
    assert.equal((await bobTab1.next('message_read_confirmed', confirmedOf(message._id))).message.read, true);
    assert.equal((await bobTab1.next('message_read_confirmed', confirmedOf(message._id))).message.read, true);

    const rest = await http(server.url, 'PATCH', `/api/messages/${message._id}/read`, { token: bob.token });
    assert.equal(rest.status, 200);
    assert.deepEqual(rest.body, first);
    const thirdRead = await aliceTab1.next('message_read', readOf(message._id));
    assert.equal(thirdRead.readAt, firstRead.readAt);
  });

  it('PATCH /api/messages/:id/read answers 200 {success, message} and emits the same events', async () => {
    const message = await send('read over REST');
    const res = await http(server.url, 'PATCH', `/api/messages/${message._id}/read`, { token: bob.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { success: true, message: { ...message, read: true } });

    for (const tab of [aliceTab1, aliceTab2]) {
      const read = await tab.next('message_read', readOf(message._id));
      assert.deepEqual(read.readBy, { _id: bob.user._id, name: 'Bob Reader' });
      assertIso(read.readAt);
    }
    for (const tab of [bobTab1, bobTab2]) {
      assert.deepEqual(await tab.next('message_read_confirmed', confirmedOf(message._id)), res.body);
    }
  });

  it('answers REST errors as JSON {message} with 403, 404 and 401', async () => {
    const message = await send('not yours to mark');
    const path = `/api/messages/${message._id}/read`;

    const bySender = await http(server.url, 'PATCH', path, { token: alice.token });
    assert.equal(bySender.status, 403);
    assert.deepEqual(bySender.body, { message: 'Access denied' });
    assert.match(bySender.headers.get('content-type') ?? '', /application\/json/);
    const byOther = await http(server.url, 'PATCH', path, { token: carol.token });
    assert.equal(byOther.status, 403);
    assert.deepEqual(byOther.body, { message: 'Access denied' });

    for (const id of ['999999999', 'garbage']) {
      const missing = await http(server.url, 'PATCH', `/api/messages/${id}/read`, { token: bob.token });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { message: 'Message not found' });
    }

    const anonymous = await http(server.url, 'PATCH', path);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, { message: 'Authentication error: No token provided' });

    assert.equal((await stored(message._id))?.read, false, 'still unread after the refusals');
  });
});
