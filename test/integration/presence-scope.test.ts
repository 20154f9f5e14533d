import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

describe('PRESENCE_SCOPE=contacts', () => {
  let server: TestServer;
  let ann: Registered;
  let ben: Registered;
  let cat: Registered;
  const open: TestClient[] = [];
  const tab = async (user: Registered) => {
    const client = await connectClient(server.url, user.token);
    open.push(client);
    return client;
  };

  before(async () => {
    server = await startServer({ PRESENCE_SCOPE: 'contacts' });
    [ann, ben, cat] = await Promise.all([
      registerUser(server.url, { name: 'Ann Contact' }),
      registerUser(server.url, { name: 'Ben Contact' }),
      registerUser(server.url, { name: 'Cat Stranger' }),
    ]);
    // Ann and Ben share a conversation; Cat shares none with either.
    const sent = await http(server.url, 'POST', '/api/messages', {
      token: ann.token,
      body: { receiverId: ben.user._id, content: 'hello Ben' },
    });
    assert.equal(sent.status, 201);
  });
  after(async () => {
    open.forEach((c) => c.close());
    await server.close();
  });

  it('tells only contacts when a user comes online and lists only online contacts', async () => {
    const annTab = await tab(ann);
    assert.deepEqual(await annTab.next('online_users'), []);

    const catTab = await tab(cat);
    assert.deepEqual(await catTab.next('online_users'), [], 'Cat has no contacts, so sees nobody');

    const benTab = await tab(ben);
    const benSees = await benTab.next('online_users');
    assert.deepEqual(
      benSees.map((u: { userId: string }) => u.userId),
      [ann.user._id],
    );
    assert.equal(benSees[0].name, 'Ann Contact');
    assert.deepEqual(await annTab.next('user_online', (p: { userId: string }) => p.userId === ben.user._id), {
      userId: ben.user._id,
      name: 'Ben Contact',
      username: ben.user.username,
    });

    // Nobody heard about Cat, and Cat heard about nobody.
    await sleep(200);
    assert.equal(
      annTab.all('user_online').some((p: { userId: string }) => p.userId === cat.user._id),
      false,
    );
    assert.equal(benTab.all('user_online').length, 0);
    assert.equal(catTab.all('user_online').length, 0);

    // Going offline is told to contacts only.
    benTab.close();
    const offline = await annTab.next<{ userId: string; lastSeen: string }>(
      'user_offline',
      (p) => p.userId === ben.user._id,
    );
    assert.equal(typeof offline.lastSeen, 'string');
    await sleep(200);
    assert.equal(catTab.all('user_offline').length, 0);
  });

  it('opening a conversation or typing, without a message, reveals nobody’s presence', async () => {
    const [mallory, alice, bob] = [
      await registerUser(server.url),
      await registerUser(server.url),
      await registerUser(server.url),
    ];
    const opened = await http(server.url, 'POST', '/api/conversations', {
      token: mallory.token,
      body: { type: 'direct', userId: alice.user._id },
    });
    assert.equal(opened.status, 201);
    const watcher = await tab(mallory);
    await watcher.ack('typing_start', { receiverId: bob.user._id });
    await watcher.ack('typing_stop', { receiverId: bob.user._id });
    await tab(alice);
    await tab(bob);
    await sleep(300);
    assert.deepEqual(watcher.all('user_online'), []);
    // Nor does it put anything into their inboxes.
    const inbox = await http(server.url, 'GET', '/api/conversations', { token: alice.token });
    assert.deepEqual(inbox.body.conversations, []);
  });

  it('makes users contacts as soon as one message is stored', async () => {
    const sent = await http(server.url, 'POST', '/api/messages', {
      token: cat.token,
      body: { receiverId: ann.user._id, content: 'now we are contacts' },
    });
    assert.equal(sent.status, 201);
    const catTab2 = await tab(cat);
    const seen = await catTab2.next('online_users');
    assert.deepEqual(
      seen.map((u: { userId: string }) => u.userId),
      [ann.user._id],
    );
  });
});
