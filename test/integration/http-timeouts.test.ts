import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { registerUser } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/** A raw TCP connection to the server, collecting what it answers until the server closes it. */
async function rawConnection(url: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  return { socket, closed };
}

/** Resolves what was answered once the server closes the connection, or rejects after `ms`. */
const closedWithin = (closed: Promise<string>, ms: number) =>
  Promise.race([
    closed,
    sleep(ms).then(() => {
      throw new Error(`the server kept the connection open for ${ms} ms`);
    }),
  ]);

describe('HTTP request and connection timeouts', { concurrency: true }, () => {
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_CONNECTION_TIMEOUT_MS: '30000' });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.close();
  });

  it('cuts off a request whose body arrives too slowly with 408, however steadily it trickles', async () => {
    const { socket, closed } = await rawConnection(server.url);
    socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000\r\n\r\n{"email":"',
    );
    // A byte every 100 ms: never idle, never done.
    const drip = setInterval(() => socket.writable && socket.write('a'), 100);
    const started = Date.now();
    try {
      const answer = await closedWithin(closed, 5000);
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(Date.now() - started < 4000);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  it('cuts off a connection whose headers never end', async () => {
    const { socket, closed } = await rawConnection(server.url);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    try {
      assert.match(await closedWithin(closed, 5000), /^HTTP\/1\.1 408 /);
    } finally {
      socket.destroy();
    }
  });

  it('keeps idle long-polling and WebSocket clients connected past both timeouts', async () => {
    const [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
    const polling = await connectClient(server.url, alice.token, { transports: ['polling'] });
    const websocket = await connectClient(server.url, bob.token, { transports: ['websocket'] });
    clients.push(polling, websocket);
    const disconnects: string[] = [];
    for (const c of clients) c.socket.on('disconnect', (reason) => disconnects.push(reason));

    // Longer than the connection timeout: a poll is held 25 s at a time, a WebSocket is silent between
    // pings.
    await sleep(32_000);
    assert.deepEqual(disconnects, []);
    const ack = await polling.ack('send_message', { receiverId: bob.user._id, content: 'still here' });
    assert.equal(ack.success, true);
    assert.equal((await websocket.next('receive_message')).content, 'still here');
  });
});
