import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient, expectRejected } from '../support/socket.js';

const assertIso = (value: unknown): void => {
  assert.equal(typeof value, 'string');
  assert.equal(new Date(value as string).toISOString(), value);
};

const withContent =
  (content: string) =>
  (p: any): boolean =>
    p.content === content || (typeof p.message === 'object' && p.message?.content === content);

describe('send_message', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let carol: Registered;
  let aliceTab1: TestClient;
  let aliceTab2: TestClient;
  let bobTab1: TestClient;
  let bobTab2: TestClient;
  let carolTab: TestClient;

  /** The alice ↔ bob conversation as bob sees it through REST (newest 100). */
  const history = async (): Promise<WireMessage[]> => {
    const res = await http(server.url, 'GET', `/api/messages/${alice.user._id}?limit=100`, {
      token: bob.token,
    });
    assert.equal(res.status, 200);
    return res.body.messages;
  };

  const rejected = (client: TestClient, payload: unknown, message: string) =>
    expectRejected(client, 'send_message', payload, message);

  before(async () => {
    server = await startServer();
    alice = await registerUser(server.url, { name: 'Alice Sender' });
    bob = await registerUser(server.url, { name: 'Bob Receiver' });
    carol = await registerUser(server.url, { name: 'Carol Bystander' });
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

  it('emits message_sent to every sender tab, receive_message and message_notification to every receiver tab', async () => {
    const before = Date.now();
    aliceTab1.emit('send_message', { receiverId: bob.user._id, content: '  Hello Bob, first message \n' });
    const content = 'Hello Bob, first message';
    const sent = await aliceTab1.next('message_sent', withContent(content));
    const after = Date.now();

    assert.match(sent.message._id, /^\d+$/);
    assertIso(sent.message.sentAt);
    const sentAt = Date.parse(sent.message.sentAt);
    assert.ok(sentAt >= before - 1000 && sentAt <= after + 1000, 'sentAt is the time of sending');
    assert.match(sent.message.conversationId, /^\d+$/);
    const expected: WireMessage = {
      _id: sent.message._id,
      conversationId: sent.message.conversationId,
      content,
      sentAt: sent.message.sentAt,
      read: false,
      senderId: alice.user._id,
      senderName: 'Alice Sender',
      receiverId: bob.user._id,
      receiverName: 'Bob Receiver',
    };
    assert.deepEqual(sent, { success: true, message: expected });
    assert.deepEqual(await aliceTab2.next('message_sent', withContent(content)), sent);

    for (const tab of [bobTab1, bobTab2]) {
      assert.deepEqual(await tab.next('receive_message', withContent(content)), expected);
      assert.deepEqual(
        await tab.next('message_notification', (n: { message: string }) => n.message === content),
        {
          type: 'new_message',
          from: { _id: alice.user._id, name: 'Alice Sender' },
          message: content,
          conversationId: sent.message.conversationId,
          timestamp: expected.sentAt,
        },
      );
    }

    await sleep(250);
    assert.equal(
      aliceTab1.all('message_sent').filter(withContent(content)).length,
      1,
      'exactly once per tab',
    );
    assert.equal(
      bobTab1.all('receive_message').filter(withContent(content)).length,
      1,
      'exactly once per tab',
    );
    for (const tab of [aliceTab1, aliceTab2]) {
      assert.equal(
        tab.all('receive_message').filter(withContent(content)).length,
        0,
        'sender gets no receive_message',
      );
    }
    for (const tab of [bobTab1, bobTab2]) {
      assert.equal(
        tab.all('message_sent').filter(withContent(content)).length,
        0,
        'receiver gets no message_sent',
      );
    }
    for (const event of ['message_sent', 'receive_message', 'message_notification']) {
      assert.equal(carolTab.all(event).length, 0, `a third user gets no ${event}`);
    }
  });

  it('gives the ack the same payload as message_sent', async () => {
    const content = 'acknowledged message';
    const ack = await aliceTab1.ack('send_message', { receiverId: bob.user._id, content });
    assert.equal(ack.success, true);
    assert.equal(ack.message.content, content);
    assert.deepEqual(await aliceTab1.next('message_sent', withContent(content)), ack);
    assert.deepEqual(await aliceTab2.next('message_sent', withContent(content)), ack);
    assert.deepEqual(await bobTab1.next('receive_message', withContent(content)), ack.message);
  });

  it('keeps a notification of at most 100 characters as is and cuts longer ones to 97 + "..."', async () => {
    const exact = 'x'.repeat(99) + 'y';
    const long = 'abcdefghij'.repeat(15);
    const emoji = '😀'.repeat(150);
    const cases: [string, string, string][] = [
      [exact, exact, 'a 100-character message is its own preview'],
      [long, long.slice(0, 97) + '...', 'a longer one is cut to 97 characters and "..."'],
      [emoji, '😀'.repeat(97) + '...', 'the cut counts characters, not UTF-16 units'],
    ];
    for (const [content, preview, why] of cases) {
      const { message } = await aliceTab1.ack('send_message', { receiverId: bob.user._id, content });
      const received = await bobTab1.next('receive_message', withContent(content));
      assert.equal(received.content, content, 'the message itself is never cut');
      const note = await bobTab2.next('message_notification', (n: any) => n.timestamp === message.sentAt);
      assert.equal(note.message, preview, why);
    }
  });

  it('accepts 5000 characters after trimming and rejects 5001 without storing anything', async () => {
    const max = 'm'.repeat(5000);
    const ok = await aliceTab1.ack('send_message', { receiverId: bob.user._id, content: `  ${max}  ` });
    assert.equal(ok.success, true);
    assert.equal(ok.message.content, max);
    assert.equal((await bobTab1.next('receive_message', withContent(max))).content.length, 5000);

    const wide = '😀'.repeat(5000);
    const okWide = await aliceTab1.ack('send_message', { receiverId: bob.user._id, content: wide });
    assert.equal(okWide.success, true, '5000 characters outside the BMP are 5000 characters');

    const stored = (await history()).length;
    const tooLong = 'n'.repeat(5001);
    await rejected(
      aliceTab1,
      { receiverId: bob.user._id, content: tooLong },
      'content must be at most 5000 characters',
    );
    await rejected(
      aliceTab1,
      { receiverId: bob.user._id, content: '😀'.repeat(5001) },
      'content must be at most 5000 characters',
    );
    await sleep(250);
    assert.equal((await history()).length, stored, 'nothing stored');
    assert.equal(bobTab1.all('receive_message').filter(withContent(tooLong)).length, 0);
    assert.equal(aliceTab2.all('message_sent').filter(withContent(tooLong)).length, 0);
  });

  it('answers "Receiver not found" for an unknown receiverId', async () => {
    await rejected(aliceTab1, { receiverId: 'no-such-user', content: 'hello?' }, 'Receiver not found');
    await rejected(
      aliceTab1,
      { receiverId: '00000000-0000-4000-8000-000000000000', content: 'hello?' },
      'Receiver not found',
    );
    // Without an ack, only the error event answers.
    aliceTab2.emit('send_message', { receiverId: 'ghost', content: 'hello?' });
    assert.deepEqual(
      await aliceTab2.next('error', (e: { message: string }) => e.message === 'Receiver not found'),
      {
        message: 'Receiver not found',
      },
    );
  });

  it('rejects sending to yourself', async () => {
    const content = 'note to self';
    await rejected(aliceTab1, { receiverId: alice.user._id, content }, 'receiverId must be another user');
    await sleep(250);
    assert.equal(aliceTab2.all('message_sent').filter(withContent(content)).length, 0);
    assert.equal(aliceTab2.all('receive_message').filter(withContent(content)).length, 0);
  });

  it('rejects malformed payloads with a message naming the problem', async () => {
    await rejected(aliceTab1, 'hello', 'send_message payload must be an object');
    await rejected(aliceTab1, { content: 'no receiver' }, 'receiverId is required');
    await rejected(aliceTab1, { receiverId: bob.user._id, content: 42 }, 'content must be a string');
    await rejected(aliceTab1, { receiverId: bob.user._id }, 'content is required');
    const blank = await aliceTab1.ack('send_message', { receiverId: bob.user._id, content: '   ' });
    assert.equal(blank.success, false);
    assert.match(blank.message, /^content /);
    assert.equal(aliceTab1.socket.connected, true, 'a bad payload never disconnects');
  });

  it('ignores client-supplied senderId, read, _id and names', async () => {
    const content = 'forged fields are ignored';
    const ack = await aliceTab1.ack('send_message', {
      receiverId: bob.user._id,
      content,
      senderId: carol.user._id,
      senderName: 'Mallory',
      receiverName: 'Someone',
      read: true,
      _id: '999999',
      sentAt: '2000-01-01T00:00:00.000Z',
    });
    assert.equal(ack.success, true);
    assert.equal(ack.message.senderId, alice.user._id);
    assert.equal(ack.message.senderName, 'Alice Sender');
    assert.equal(ack.message.receiverName, 'Bob Receiver');
    assert.equal(ack.message.read, false);
    assert.notEqual(ack.message._id, '999999');
    assert.notEqual(ack.message.sentAt, '2000-01-01T00:00:00.000Z');

    const received = await bobTab1.next('receive_message', withContent(content));
    assert.deepEqual(received, ack.message);
    const stored = (await history()).find((m) => m._id === ack.message._id);
    assert.deepEqual(stored, ack.message, 'stored with the real sender, unread');
    await sleep(200);
    assert.equal(carolTab.all('message_sent').length, 0);
  });

  it('stores the message before the receiver is told', async () => {
    const found: Promise<boolean>[] = [];
    const onReceive = (m: WireMessage) => {
      // Fetch at once, inside the listener: the message must already be in the history.
      found.push(history().then((messages) => messages.some((s) => s._id === m._id)));
    };
    bobTab2.socket.on('receive_message', onReceive);
    try {
      for (let i = 0; i < 5; i += 1) {
        aliceTab1.emit('send_message', { receiverId: bob.user._id, content: `stored first ${i}` });
      }
      for (let i = 0; i < 5; i += 1) await bobTab2.next('receive_message', withContent(`stored first ${i}`));
    } finally {
      bobTab2.socket.off('receive_message', onReceive);
    }
    assert.deepEqual(await Promise.all(found), [true, true, true, true, true]);
  });
});
