import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { type TestClient, connectClient, sleep } from '../support/socket.js';

type Indicator = { userId: string; userName: string; isTyping: boolean };

const from = (userId: string, isTyping?: boolean) => (p: Indicator) =>
  p.userId === userId && (isTyping === undefined || p.isTyping === isTyping);

/** One server, a typist, a receiver with two tabs and a bystander; every client closed after each test. */
function typingWorld(env: Record<string, string> = {}) {
  const world = {
    server: undefined as unknown as TestServer,
    alice: undefined as unknown as Registered,
    bob: undefined as unknown as Registered,
    carol: undefined as unknown as Registered,
    /** Alice and Bob's direct conversation, which every indicator between them names. */
    conversationId: '',
    clients: [] as TestClient[],
    async tab(user: Registered): Promise<TestClient> {
      const client = await connectClient(world.server.url, user.token);
      await client.next('online_users');
      world.clients.push(client);
      return client;
    },
  };
  before(async () => {
    world.server = await startServer(env);
    world.alice = await registerUser(world.server.url, { name: 'Alice Typist' });
    world.bob = await registerUser(world.server.url, { name: 'Bob Receiver' });
    world.carol = await registerUser(world.server.url, { name: 'Carol Bystander' });
    const opened = await http(world.server.url, 'POST', '/api/conversations', {
      token: world.alice.token,
      body: { type: 'direct', userId: world.bob.user._id },
    });
    world.conversationId = opened.body.conversation._id;
  });
  afterEach(async () => {
    for (const client of world.clients.splice(0)) client.close();
    await sleep(50);
  });
  after(() => world.server.close());
  return world;
}

describe('typing indicators', () => {
  const w = typingWorld();

  it('typing_start reaches every tab of the receiver only, and is acknowledged', async () => {
    const alice = await w.tab(w.alice);
    const bob1 = await w.tab(w.bob);
    const bob2 = await w.tab(w.bob);
    const carol = await w.tab(w.carol);

    const ack = await alice.ack('typing_start', { receiverId: w.bob.user._id });
    assert.deepEqual(ack, { success: true });
    const expected = {
      userId: w.alice.user._id,
      userName: 'Alice Typist',
      isTyping: true,
      conversationId: w.conversationId,
    };
    assert.deepEqual(await bob1.next('typing_indicator'), expected);
    assert.deepEqual(await bob2.next('typing_indicator'), expected);

    await sleep(250);
    assert.deepEqual(alice.all('typing_indicator'), []);
    assert.deepEqual(carol.all('typing_indicator'), []);
    assert.equal(bob1.all('typing_indicator').length, 1);
    assert.equal(alice.all('error').length, 0);

    await alice.ack('typing_stop', { receiverId: w.bob.user._id });
    await bob1.next('typing_indicator', from(w.alice.user._id, false));
  });

  it('typing_stop sends isTyping: false, and is acknowledged', async () => {
    const alice = await w.tab(w.alice);
    const bob1 = await w.tab(w.bob);
    const bob2 = await w.tab(w.bob);
    const carol = await w.tab(w.carol);

    await alice.ack('typing_start', { receiverId: w.bob.user._id });
    await bob1.next('typing_indicator', from(w.alice.user._id, true));
    const ack = await alice.ack('typing_stop', { receiverId: w.bob.user._id });
    assert.deepEqual(ack, { success: true });
    const expected = {
      userId: w.alice.user._id,
      userName: 'Alice Typist',
      isTyping: false,
      conversationId: w.conversationId,
    };
    assert.deepEqual(await bob1.next('typing_indicator', from(w.alice.user._id, false)), expected);
    assert.deepEqual(await bob2.next('typing_indicator', from(w.alice.user._id, false)), expected);

    await sleep(250);
    assert.deepEqual(alice.all('typing_indicator'), []);
    assert.deepEqual(carol.all('typing_indicator'), []);
  });

  it('ends the typing state when the last tab of the typist closes, not when one of two closes', async () => {
    const alice1 = await w.tab(w.alice);
    const alice2 = await w.tab(w.alice);
    const bob = await w.tab(w.bob);

    await alice1.ack('typing_start', { receiverId: w.bob.user._id });
    await bob.next('typing_indicator', from(w.alice.user._id, true));

    alice1.close();
    await sleep(300);
    assert.equal(bob.all('typing_indicator').filter(from(w.alice.user._id, false)).length, 0);

    alice2.close();
    const ended = await bob.next('typing_indicator', from(w.alice.user._id, false));
    assert.deepEqual(ended, {
      userId: w.alice.user._id,
      userName: 'Alice Typist',
      isTyping: false,
      conversationId: w.conversationId,
    });
    await bob.next('user_offline', (p: { userId: string }) => p.userId === w.alice.user._id);
    await sleep(200);
    assert.equal(bob.all('typing_indicator').filter(from(w.alice.user._id, false)).length, 1);
  });

  it('answers an unknown receiver with "Receiver not found"', async () => {
    const alice = await w.tab(w.alice);
    for (const event of ['typing_start', 'typing_stop']) {
      const ack = await alice.ack(event, { receiverId: randomUUID() });
      assert.deepEqual(ack, { success: false, message: 'Receiver not found' }, event);
      assert.deepEqual(await alice.next('error'), { message: 'Receiver not found' }, event);
    }
  });

  it('answers a malformed payload with an error naming receiverId', async () => {
    const alice = await w.tab(w.alice);
    const bob = await w.tab(w.bob);
    const cases: Array<[unknown, string]> = [
      [{}, 'receiverId is required'],
      [{ receiverId: null }, 'receiverId is required'],
      [{ receiverId: 42 }, 'receiverId must be a string'],
      [{ receiverId: ['x'] }, 'receiverId must be a string'],
      [{ receiverId: '   ' }, 'receiverId must not be empty'],
      [{ receiverId: w.alice.user._id }, 'receiverId must be another user'],
    ];
    for (const event of ['typing_start', 'typing_stop']) {
      for (const [payload, message] of cases) {
        const ack = await alice.ack(event, payload);
        assert.deepEqual(ack, { success: false, message }, `${event} ${JSON.stringify(payload)}`);
        assert.deepEqual(await alice.next('error'), { message });
      }
      for (const payload of ['bob', 7, null, [w.bob.user._id]]) {
        const ack = await alice.ack(event, payload);
        assert.deepEqual(ack, { success: false, message: `${event} payload must be an object` });
        assert.deepEqual(await alice.next('error'), { message: `${event} payload must be an object` });
      }
    }
    // Still connected and working; nothing reached the would-be receiver.
    assert.equal(alice.socket.connected, true);
    assert.deepEqual(await alice.ack('typing_start', { receiverId: w.bob.user._id }), { success: true });
    assert.deepEqual(await bob.next('typing_indicator'), {
      userId: w.alice.user._id,
      userName: 'Alice Typist',
      isTyping: true,
      conversationId: w.conversationId,
    });
    await alice.ack('typing_stop', { receiverId: w.bob.user._id });
    await bob.next('typing_indicator', from(w.alice.user._id, false));
  });
});

describe('typing indicators expire on the server (TYPING_TIMEOUT_MS=300)', () => {
  const w = typingWorld({ TYPING_TIMEOUT_MS: '300' });

  it('sends isTyping: false by itself after the timeout without typing_stop', async () => {
    const alice = await w.tab(w.alice);
    const bob = await w.tab(w.bob);
    const started = Date.now();
    await alice.ack('typing_start', { receiverId: w.bob.user._id });
    await bob.next('typing_indicator', from(w.alice.user._id, true));

    const ended = await bob.next('typing_indicator', from(w.alice.user._id, false), 3000);
    assert.ok(Date.now() - started >= 280, `ended after ${Date.now() - started} ms, not before the timeout`);
    assert.deepEqual(ended, {
      userId: w.alice.user._id,
      userName: 'Alice Typist',
      isTyping: false,
      conversationId: w.conversationId,
    });
    await sleep(400);
    assert.equal(bob.all('typing_indicator').filter(from(w.alice.user._id, false)).length, 1);
  });

  it('sends no late isTyping: false after an explicit typing_stop', async () => {
    const alice = await w.tab(w.alice);
    const bob = await w.tab(w.bob);
    await alice.ack('typing_start', { receiverId: w.bob.user._id });
    await alice.ack('typing_stop', { receiverId: w.bob.user._id });
    await bob.next('typing_indicator', from(w.alice.user._id, false));
    await sleep(500);
    const seen = bob.all<Indicator>('typing_indicator').filter(from(w.alice.user._id));
    assert.deepEqual(
      seen.map((p) => p.isTyping),
      [true, false],
    );
  });
});

describe('a repeated typing_start postpones the expiry (TYPING_TIMEOUT_MS=1500)', () => {
  // A longer timeout than the suite above: the renewal must land well inside it even on a slow machine,
  // so the test tells a cleared timer from a kept one without racing the clock.
  const w = typingWorld({ TYPING_TIMEOUT_MS: '1500' });

  it('ends the indicator one timeout after the renewal, not after the first start', async () => {
    const alice = await w.tab(w.alice);
    const bob = await w.tab(w.bob);
    const started = Date.now();
    await alice.ack('typing_start', { receiverId: w.bob.user._id });
    await sleep(500);
    const renewed = Date.now();
    await alice.ack('typing_start', { receiverId: w.bob.user._id });
    const landed = Date.now() - started;
    assert.ok(landed < 1400, `renewal acknowledged ${landed} ms after the start: too late to tell`);
    assert.deepEqual(
      bob.all<Indicator>('typing_indicator').filter(from(w.alice.user._id, false)),
      [],
      'not ended before the renewal',
    );

    const ended = await bob.next('typing_indicator', from(w.alice.user._id, false), 5000);
    // The first start's timer would have ended it 1500 ms after `started`, i.e. about 1000 ms after the
    // renewal; the renewal's own timer ends it 1500 ms after `renewed`.
    const elapsed = Date.now() - renewed;
    assert.ok(elapsed >= 1400, `ended ${elapsed} ms after the renewal: the first timer was not cleared`);
    assert.equal(ended.isTyping, false);
    const seen = bob.all<Indicator>('typing_indicator').filter(from(w.alice.user._id));
    assert.deepEqual(
      seen.map((p) => p.isTyping),
      [true, true, false],
    );
  });
});
