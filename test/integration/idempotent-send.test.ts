import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

describe('idempotent sends with clientMessageId', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let aliceTab: TestClient;
  let aliceTab2: TestClient;
  let bobTab: TestClient;

  const history = async () => {
    const res = await http(server.url, 'GET', `/api/messages/${bob.user._id}?limit=100`, {
      token: alice.token,
    });
    return res.body.messages as WireMessage[];
  };

  before(async () => {
    server = await startServer();
    alice = await registerUser(server.url, { name: 'Alice Retry' });
    bob = await registerUser(server.url, { name: 'Bob Receiver' });
    [aliceTab, aliceTab2, bobTab] = await Promise.all([
      connectClient(server.url, alice.token),
      connectClient(server.url, alice.token),
      connectClient(server.url, bob.token),
    ]);
  });
  after(async () => {
    [aliceTab, aliceTab2, bobTab].forEach((c) => c?.close());
    await server?.close();
  });

  it('a retry over the socket returns the stored message and stores nothing new', async () => {
    const payload = { receiverId: bob.user._id, content: 'exactly once', clientMessageId: 'retry-1' };
    const first = await aliceTab.ack('send_message', payload);
    assert.equal(first.success, true);
    assert.equal(first.message.clientMessageId, 'retry-1');
    const received = await bobTab.next('receive_message', (m: WireMessage) => m._id === first.message._id);
    assert.equal(received.clientMessageId, 'retry-1');

    const retry = await aliceTab.ack('send_message', { ...payload, content: 'a changed retry' });
    assert.deepEqual(retry, first, 'the retry answers with the stored message');
    await sleep(200);
    assert.equal(
      bobTab.all<WireMessage>('receive_message').filter((m) => m._id === first.message._id).length,
      1,
    );
    assert.equal((await history()).filter((m) => m.clientMessageId === 'retry-1').length, 1);
  });

  it('concurrent retries from two tabs and REST store one message and all answer with it', async () => {
    const payload = { receiverId: bob.user._id, content: 'racing', clientMessageId: 'race-1' };
    const answers = await Promise.all([
      aliceTab.ack('send_message', payload),
      aliceTab2.ack('send_message', payload),
      aliceTab.ack('send_message', payload),
      http(server.url, 'POST', '/api/messages', { token: alice.token, body: payload }).then((r) => {
        assert.equal(r.status, 201);
        return r.body;
      }),
    ]);
    const ids = new Set(answers.map((a) => a.message._id));
    assert.equal(ids.size, 1, `one message for every answer, got ${[...ids].join(', ')}`);
    assert.equal((await history()).filter((m) => m.clientMessageId === 'race-1').length, 1);
  });

  it('client ids are per sender; messages without one are never deduplicated', async () => {
    const mine = await aliceTab.ack('send_message', {
      receiverId: bob.user._id,
      content: 'a',
      clientMessageId: 'shared',
    });
    const theirs = await bobTab.ack('send_message', {
      receiverId: alice.user._id,
      content: 'b',
      clientMessageId: 'shared',
    });
    assert.notEqual(mine.message._id, theirs.message._id);
    const plain1 = await aliceTab.ack('send_message', { receiverId: bob.user._id, content: 'same' });
    const plain2 = await aliceTab.ack('send_message', { receiverId: bob.user._id, content: 'same' });
    assert.notEqual(plain1.message._id, plain2.message._id);
    assert.equal('clientMessageId' in plain1.message, false);
  });

  it('rejects malformed client ids', async () => {
    const cases: Array<[unknown, string]> = [
      [42, 'clientMessageId must be a string'],
      ['', 'clientMessageId must not be empty'],
      ['x'.repeat(129), 'clientMessageId must be at most 128 characters'],
    ];
    for (const [clientMessageId, message] of cases) {
      const ack = await aliceTab.ack('send_message', {
        receiverId: bob.user._id,
        content: 'x',
        clientMessageId,
      });
      assert.deepEqual(ack, { success: false, message });
    }
  });
});
