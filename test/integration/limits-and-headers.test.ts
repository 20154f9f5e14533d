import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient, connectClient } from '../support/socket.js';

describe('size limits and security headers', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;

  before(async () => {
    server = await startServer({ BODY_LIMIT_BYTES: '4096', SOCKET_MAX_PAYLOAD_BYTES: '8192' });
    alice = await registerUser(server.url);
    bob = await registerUser(server.url);
  });
  after(() => server.close());

  it('answers a REST body over BODY_LIMIT_BYTES with 413 JSON and stores nothing', async () => {
    const res = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content: 'x'.repeat(5000) },
    });
    assert.equal(res.status, 413);
    assert.equal(typeof res.body.message, 'string');
    const unread = await http(server.url, 'GET', '/api/messages/unread-count', { token: bob.token });
    assert.deepEqual(unread.body, { count: 0 });
  });

  it('disconnects only the socket that sends more than SOCKET_MAX_PAYLOAD_BYTES', async () => {
    const bystander = await connectClient(server.url, bob.token);
    const offender = await connectClient(server.url, alice.token);
    const gone = new Promise<string>((resolve) => offender.socket.once('disconnect', resolve));
    offender.emit('send_message', { receiverId: bob.user._id, content: 'y'.repeat(10_000) });
    assert.equal(await gone, 'transport close');
    // The bystander is still connected and still served.
    const again = new TestClient(server.url, { auth: { token: alice.token } });
    await again.connected();
    const ack = await again.ack('send_message', { receiverId: bob.user._id, content: 'small is fine' });
    assert.equal(ack.success, true);
    assert.equal((await bystander.next('receive_message')).content, 'small is fine');
    assert.equal(bystander.socket.connected, true);
    [bystander, offender, again].forEach((c) => c.close());
  });

  it('sends security headers on REST answers', async () => {
    const res = await http(server.url, 'GET', '/healthz');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.ok(res.headers.get('strict-transport-security'));
    assert.equal(res.headers.get('x-powered-by'), null);
  });
});
