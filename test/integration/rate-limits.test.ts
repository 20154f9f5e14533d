import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TOO_MANY, TestClient, connectClient, expectRejected } from '../support/socket.js';

describe('rate limits and the per-user connection cap', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  const open: TestClient[] = [];
  const connect = async (token: string) => {
    const client = await connectClient(server.url, token);
    open.push(client);
    return client;
  };

  before(async () => {
    server = await startServer({
      RATE_LIMIT_SEND: '3/60s',
      RATE_LIMIT_TYPING: '2/60s',
      RATE_LIMIT_READ: '2/60s',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/60s',
      RATE_LIMIT_LOGIN_IP: '5/60s',
      MAX_SOCKETS_PER_USER: '2',
      RATE_LIMIT_QUERY: '4/60s',
    });
    [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
  });
  after(async () => {
    for (const client of open) client.close();
    await server?.close();
  });

  it('refuses sends past the limit, on sockets and REST, storing nothing', async () => {
    const sender = await connect(alice.token);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const ack = await sender.socket.emitWithAck('send_message', {
        receiverId: bob.user._id,
        content: `m${i}`,
      });
      assert.equal(ack.success, true);
      ids.push(ack.message._id);
    }
    const rest = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content: 'm2' },
    });
    assert.equal(rest.status, 201);

    await expectRejected(
      sender,
      'send_message',
      { receiverId: bob.user._id, content: 'm3' },
      TOO_MANY('messages'),
    );
    const refused = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content: 'm4' },
    });
    assert.equal(refused.status, 429);
    assert.match(refused.body.message, TOO_MANY('messages'));
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);

    const unread = await http(server.url, 'GET', '/api/messages/unread-count', { token: bob.token });
    assert.deepEqual(unread.body, { count: 3 });
    // The limit is per sender: bob can still write to alice.
    const reply = await http(server.url, 'POST', '/api/messages', {
      token: bob.token,
      body: { receiverId: alice.user._id, content: 'hi' },
    });
    assert.equal(reply.status, 201);

    // Read receipts have their own limit.
    const reader = await connect(bob.token);
    for (const id of ids) {
      assert.equal((await reader.socket.emitWithAck('mark_message_read', { messageId: id })).success, true);
    }
    const readRest = await http(server.url, 'PATCH', `/api/messages/${rest.body.message._id}/read`, {
      token: bob.token,
    });
    assert.equal(readRest.status, 429);
    assert.match(readRest.body.message, TOO_MANY('read receipts'));
  });

  it('refuses reads past the limit, on sockets and REST together, per user', async () => {
    const [reader, other] = [await registerUser(server.url), await registerUser(server.url)];
    const client = await connect(reader.token);
    const get = (path: string, who = reader) => http(server.url, 'GET', path, { token: who.token });
    // One of each read, over both transports: four, the limit.
    assert.equal((await get('/api/messages/unread-count')).status, 200);
    assert.deepEqual((await client.ack('sync', {})).messages, []);
    assert.equal((await get('/api/users?limit=1')).status, 200);
    assert.deepEqual((await client.ack('get_message_history', { otherUserId: other.user._id })).messages, []);

    await expectRejected(client, 'get_unread_count', undefined, TOO_MANY('requests'));
    await expectRejected(client, 'sync', {}, TOO_MANY('requests'));
    await expectRejected(
      client,
      'get_message_history',
      { otherUserId: other.user._id },
      TOO_MANY('requests'),
    );
    for (const path of [
      '/api/messages/unread-count',
      '/api/messages/sync',
      `/api/messages/${other.user._id}`,
      '/api/users',
    ]) {
      const refused = await get(path);
      assert.equal(refused.status, 429, path);
      assert.match(refused.body.message, TOO_MANY('requests'));
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    }
    // The limit is per user: the other user still reads.
    assert.equal((await get('/api/messages/unread-count', other)).status, 200);
  });

  it('refuses typing events past the limit', async () => {
    const typist = await connect(bob.token);
    assert.deepEqual(await typist.socket.emitWithAck('typing_start', { receiverId: alice.user._id }), {
      success: true,
    });
    assert.deepEqual(await typist.socket.emitWithAck('typing_stop', { receiverId: alice.user._id }), {
      success: true,
    });
    await expectRejected(typist, 'typing_start', { receiverId: alice.user._id }, TOO_MANY('typing events'));
  });

  it('refuses a third socket for one user, and takes one again once a socket closes', async () => {
    const carol = await registerUser(server.url);
    const first = await connect(carol.token);
    await connect(carol.token);
    const third = new TestClient(server.url, { auth: { token: carol.token } });
    await assert.rejects(third.connected(), { message: 'Too many connections: at most 2 per user' });
    third.close();
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await connect(carol.token);
  });

  it('blocks an account after failed logins from one IP, even with the right password', async () => {
    const dave = await registerUser(server.url);
    const login = (password: string, who: Record<string, string> = { email: dave.user.email }) =>
      http(server.url, 'POST', '/api/auth/login', { body: { ...who, password } });
    for (let i = 0; i < 3; i++) assert.equal((await login('wrong password')).status, 401);
    const blocked = await login(dave.password);
    assert.equal(blocked.status, 429);
    assert.match(blocked.body.message, TOO_MANY('failed login attempts'));
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    // The username names the same account.
    assert.equal((await login(dave.password, { username: dave.user.username.toUpperCase() })).status, 429);

    // Another account from the same IP still logs in, until the IP's own limit is reached.
    const erin = await registerUser(server.url);
    const asErin = (password: string) => login(password, { username: erin.user.username });
    assert.equal((await asErin(erin.password)).status, 200);
    assert.equal((await asErin('wrong password')).status, 401);
    assert.equal((await asErin(erin.password)).status, 200);
    assert.equal((await asErin('wrong password')).status, 401); // the IP's fifth failure
    const ipBlocked = await asErin(erin.password);
    assert.equal(ipBlocked.status, 429);
    assert.match(ipBlocked.body.message, TOO_MANY('failed login attempts'));
  });
});
