import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { crossUser, type CrossUser } from '../support/cross-user.js';
import { http } from '../support/http.js';
import { TestClient, connectClient } from '../support/socket.js';

describe("authorization: one user's token never acts as another", () => {
  let t: CrossUser;
  before(async () => {
    // Alice's own password, so that it cannot also be Bob's.
    t = await crossUser({ alice: 'alice-own-password' });
  });
  after(() => t?.close());

  it("lets A's token change nothing of B's, whatever ids the request names", async () => {
    const { alice, bob, carol, server } = t;
    const bobId = bob.user._id;
    const toBob = await t.send(carol, bob, 'bob must read this himself');
    const bobMe = (await http(server.url, 'GET', '/api/auth/me', { token: bob.token })).body;
    const bobHistory = await t.history(bob, carol);
    const bobUnread = await t.unread(bob);
    const rowsBefore = await t.countRows();
    const asAlice = (method: string, path: string, body?: unknown) =>
      http(server.url, method, path, { token: alice.token, body, headers: { 'x-user-id': bobId } });

    const me = await asAlice('GET', `/api/auth/me?userId=${bobId}&sub=${bobId}`);
    assert.equal(me.body.user._id, alice.user._id);
    const patch = await asAlice('PATCH', `/api/messages/${toBob._id}/read?userId=${bobId}`, {
      userId: bobId,
      receiverId: bobId,
    });
    assert.equal(patch.status, 403);
    assert.deepEqual(patch.body, { message: 'Access denied' });
    for (const [method, path] of [
      ['PUT', `/api/users/${bobId}`],
      ['PATCH', `/api/users/${bobId}`],
      ['DELETE', `/api/users/${bobId}`],
      ['POST', `/api/users/${bobId}`],
      ['DELETE', `/api/messages/${toBob._id}`],
      ['PUT', `/api/messages/${toBob._id}`],
      ['PATCH', `/api/messages/${toBob._id}`],
    ] as const) {
      const res = await asAlice(method, path, { name: 'Hacked', password: 'new-password-123', read: true });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    const posted = await asAlice('POST', '/api/messages', {
      receiverId: carol.user._id,
      senderId: bobId,
      userId: bobId,
      content: 'from alice, not bob',
    });
    assert.equal(posted.status, 201);
    assert.equal(posted.body.message.senderId, alice.user._id);
    assert.equal((await t.row(posted.body.message._id))?.sender, alice.user._id);

    // Registering with Bob's id creates a new user; it does not take Bob over.
    const tag = `${process.pid}${Date.now()}`;
    const reg = await http(server.url, 'POST', '/api/auth/register', {
      token: alice.token,
      body: {
        _id: bobId,
        id: bobId,
        name: 'Fake Bob',
        username: `fake_${tag}`,
        email: `fake${tag}@example.test`,
        password: 'whatever-123',
      },
    });
    assert.equal(reg.status, 201);
    assert.notEqual(reg.body.user._id, bobId);
    // Logging in as Bob needs Bob's password, not Alice's token or password.
    const login = await http(server.url, 'POST', '/api/auth/login', {
      token: alice.token,
      body: { email: bob.user.email, password: alice.password, userId: bobId },
    });
    assert.equal(login.status, 401);
    assert.deepEqual(login.body, { message: 'Invalid credentials' });

    // A socket handshake naming Bob besides Alice's token is Alice's.
    const socket = await connectClient(server.url, alice.token, {
      auth: { token: alice.token, userId: bobId, sub: bobId },
      extraHeaders: { 'x-user-id': bobId },
      query: { userId: bobId },
    });
    try {
      assert.equal((await socket.ack('get_unread_count')).count, await t.unread(alice));
      const sent = await socket.ack('send_message', { receiverId: carol.user._id, content: 'still alice' });
      assert.equal(sent.message.senderId, alice.user._id);
    } finally {
      socket.close();
    }

    assert.deepEqual((await http(server.url, 'GET', '/api/auth/me', { token: bob.token })).body, bobMe);
    assert.deepEqual(await t.history(bob, carol), bobHistory);
    assert.equal(await t.unread(bob), bobUnread);
    assert.equal((await t.row(toBob._id))?.readAt, null);
    assert.equal(await t.countRows(), rowsBefore + 2, 'only the messages Alice may send');
    const bobLogin = await http(server.url, 'POST', '/api/auth/login', {
      body: { email: bob.user.email, password: bob.password },
    });
    assert.equal(bobLogin.status, 200);
    assert.equal(bobLogin.body.user._id, bobId);
    assert.equal(bobLogin.body.user.name, 'Bob B');
  });

  it("refuses a token whose payload was changed to another user's id, keeping the signature", async () => {
    const { alice, bob, carol, a, b, c, server } = t;
    const [head = '', body = '', signature = ''] = alice.token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forge = (payload: Record<string, unknown>, header = head, sig = signature) =>
      `${header}.${encode(payload)}.${sig}`;
    const forged = [
      forge({ ...claims, sub: bob.user._id }),
      forge({ ...claims, sub: Number(bob.user._id) }),
      forge({ ...claims, sub: undefined, userId: bob.user._id }),
      forge({ ...claims, sub: bob.user._id }, encode({ alg: 'none', typ: 'JWT' }), ''),
      forge({ ...claims, sub: bob.user._id }, head, ''),
    ];
    const toBob = await t.send(carol, bob, 'only bob marks this');
    const rowsBefore = await t.countRows();
    const bobUnread = await t.unread(bob);
    for (const token of forged) {
      for (const auth of [{ token }, { token: `Bearer ${token}` }]) {
        const client = new TestClient(server.url, { auth });
        await assert.rejects(client.connected(), { message: 'Authentication error: Invalid token' });
        client.close();
      }
      for (const [method, path, payload] of [
        ['GET', '/api/auth/me', undefined],
        ['GET', '/api/messages/unread-count', undefined],
        ['GET', `/api/messages/${carol.user._id}`, undefined],
        ['POST', '/api/messages', { receiverId: carol.user._id, content: 'forged' }],
        ['PATCH', `/api/messages/${toBob._id}/read`, undefined],
      ] as const) {
        const res = await http(server.url, method, path, { token, body: payload });
        assert.equal(res.status, 401, `${method} ${path}`);
        assert.deepEqual(res.body, { message: 'Authentication error: Invalid token' });
      }
    }
    await t.flush(a, b, c);
    t.noEvents(['message_read', 'message_read_confirmed'], toBob._id);
    assert.equal(
      c.all('receive_message').filter((m: { content: string }) => m.content === 'forged').length,
      0,
    );
    assert.equal(await t.countRows(), rowsBefore);
    assert.equal(await t.unread(bob), bobUnread);
    assert.equal((await t.row(toBob._id))?.readAt, null);
    // The token it was forged from still works, as Alice.
    const me = await http(server.url, 'GET', '/api/auth/me', { token: alice.token });
    assert.equal(me.body.user._id, alice.user._id);
  });
});
