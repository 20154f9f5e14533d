import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient, connectClient, sleep } from '../support/socket.js';

/** A raw engine.io handshake (what every Socket.IO connection starts with), from `forwardedFor` if set. */
async function handshake(url: string, forwardedFor?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
  const text = await res.text();
  return { status: res.status, body: res.status === 200 ? text : JSON.parse(text) };
}

const waitFor = <T>(client: TestClient, event: string, timeoutMs = 5000): Promise<T> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), timeoutMs);
    client.socket.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });

describe('handler calls in flight per socket', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  const open: TestClient[] = [];
  const connect = async (user: Registered, transports: string[] = ['polling']) => {
    const client = await connectClient(server.url, user.token, { transports });
    open.push(client);
    return client;
  };

  before(async () => {
    server = await startServer({ SOCKET_MAX_INFLIGHT: '8' });
    [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
  });
  after(async () => {
    for (const client of open) client.close();
    await server?.close();
  });

  it('answers a socket with as many calls in flight as the cap', async () => {
    const client = await connect(alice);
    // Over long-polling, emits made together travel in one POST and start together on the server.
    const answers = await Promise.all(Array.from({ length: 8 }, () => client.ack('sync', {})));
    assert.ok(answers.every((a) => Array.isArray(a.messages)));
    assert.equal(client.socket.connected, true);
  });

  it('disconnects a socket that floods past the cap, and only that socket', async () => {
    const bystander = await connect(bob, ['websocket']);
    const flooder = await connect(alice);
    const gone = waitFor<string>(flooder, 'disconnect');
    for (let i = 0; i < 500; i++) {
      flooder.emit('send_message', { receiverId: bob.user._id, content: `flood ${i}` });
    }
    assert.equal(await gone, 'io server disconnect');
    assert.deepEqual(flooder.all('error').at(-1), {
      message: 'Too many requests in flight: at most 8 per connection',
    });
    // What was already running finished (the first emit travels alone, the rest in the next POST); the
    // rest of the flood was dropped with the connection.
    await sleep(200);
    const stored = await server.sql<{ n: number }>('select count(*) as n from messages');
    assert.ok(Number(stored[0]?.n) <= 1 + 8, `stored ${stored[0]?.n}`);

    assert.equal(bystander.socket.connected, true);
    const ack = await bystander.ack('send_message', { receiverId: alice.user._id, content: 'still here' });
    assert.equal(ack.success, true);
    const metrics = await http(server.url, 'GET', '/metrics');
    assert.match(
      String(metrics.body),
      /parley_errors_total\{code="TOO_MANY_INFLIGHT",transport="socket"\} 1/,
    );
    // The user may connect again.
    await connect(alice);
  });
});

describe('engine.io sessions and failed handshakes per client IP', () => {
  let server: TestServer;
  let proxied: TestServer;
  let alice: Registered;
  const open: TestClient[] = [];
  const connect = async (target: TestServer, user: Registered, forwardedFor?: string) => {
    const client = new TestClient(target.url, {
      auth: { token: user.token },
      transports: ['polling'],
      ...(forwardedFor ? { extraHeaders: { 'x-forwarded-for': forwardedFor } } : {}),
    });
    open.push(client);
    return client.connected();
  };

  before(async () => {
    server = await startServer({ MAX_CONNECTIONS_PER_IP: '2', RATE_LIMIT_HANDSHAKE_FAILURES: '3/60s' });
    proxied = await startServer({
      TRUST_PROXY: 'true',
      MAX_CONNECTIONS_PER_IP: '1',
      RATE_LIMIT_HANDSHAKE_FAILURES: '3/60s',
    });
    alice = await registerUser(server.url);
  });
  after(async () => {
    for (const client of open) client.close();
    await Promise.all([server?.close(), proxied?.close()]);
  });

  it('refuses handshakes past the cap of open sessions per IP, and takes one again once one closes', async () => {
    const first = await connect(server, alice);
    await connect(server, alice);
    // A forwarded-for header is not believed without TRUST_PROXY.
    const refused = await handshake(server.url, '198.51.100.7');
    assert.deepEqual(refused, {
      status: 403,
      body: { code: 4, message: 'Too many connections: at most 2 per address' },
    });
    await assert.rejects(connect(server, alice), /xhr poll error/);

    first.close();
    await sleep(100);
    await connect(server, alice);
  });

  it('counts sessions by the forwarded client IP with TRUST_PROXY', async () => {
    const carol = await registerUser(proxied.url);
    await connect(proxied, carol, '203.0.113.1');
    await connect(proxied, carol, '203.0.113.2');
    // One trusted hop: the address the proxy appended counts; what the client wrote before it does not.
    const refused = await handshake(proxied.url, '198.51.100.77, 203.0.113.1');
    assert.deepEqual(refused, {
      status: 403,
      body: { code: 4, message: 'Too many connections: at most 1 per address' },
    });
  });

  it('refuses every handshake from an IP after too many failed ones, until the window ends', async () => {
    const dave = await registerUser(proxied.url);
    const failing = (token: string) =>
      assert.rejects(connect(proxied, { ...dave, token }, '203.0.113.9'), {
        message: 'Authentication error: Invalid token',
      });
    for (let i = 0; i < 3; i++) await failing(`not-a-token-${i}`);
    // Now even the right token is refused, before any authentication runs.
    await assert.rejects(connect(proxied, dave, '203.0.113.9'), /xhr poll error/);
    const refused = await handshake(proxied.url, '203.0.113.9');
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /^Too many failed connection attempts: try again in \d+ s$/);
    // Another address is not affected.
    await connect(proxied, dave, '203.0.113.10');
  });

  it('runs one handshake at a time per connection: a POST of 300 CONNECTs authenticates once', async () => {
    const erin = await registerUser(proxied.url);
    const from = { 'x-forwarded-for': '203.0.113.20' };
    const open = await handshake(proxied.url, '203.0.113.20');
    assert.equal(open.status, 200);
    const { sid } = JSON.parse(String(open.body).slice(1)) as { sid: string };
    // Engine.io packet 4 (message) + Socket.IO packet 0 (CONNECT) with a bad token, 300 times in one body.
    const body = Array.from({ length: 300 }, (_, i) => `40{"token":"bad-${i}"}`).join('\x1e');
    const post = await fetch(`${proxied.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: 'POST',
      headers: { ...from, 'content-type': 'text/plain;charset=UTF-8' },
      body,
    });
    assert.equal(post.status, 200);
    // The failed-handshake limit (3 a minute) saw one failure, not 300: the right token still gets in.
    // The connection was closed at the second CONNECT: the next poll collects the close (and frees the
    // address's one session).
    const poll = await fetch(`${proxied.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      headers: from,
    });
    assert.equal(poll.status, 200);
    await poll.text();
    await sleep(100);
    await connect(proxied, erin, '203.0.113.20');
  });
});
