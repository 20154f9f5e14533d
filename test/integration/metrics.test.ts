import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, expectRejected, type TestClient } from '../support/socket.js';

/** The value of one sample line (`name{labels} value`) in a Prometheus text answer, or undefined. */
const sample = (text: string, line: string): number | undefined => {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe('observability: /metrics and request ids', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  const open: TestClient[] = [];

  before(async () => {
    server = await startServer();
    [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
  });
  after(async () => {
    for (const client of open) client.close();
    await server?.close();
  });

  it('counts sockets, online users, sends, deliveries, send latency and errors by code', async () => {
    const a = await connectClient(server.url, alice.token);
    const b1 = await connectClient(server.url, bob.token);
    const b2 = await connectClient(server.url, bob.token);
    open.push(a, b1, b2);
    const ack = await a.socket.emitWithAck('send_message', { receiverId: bob.user._id, content: 'counted' });
    assert.equal(ack.success, true);
    await b1.next('receive_message');
    await b2.next('receive_message');
    const rest = await http(server.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content: 'counted too' },
    });
    assert.equal(rest.status, 201);
    await b1.next('receive_message');
    await b2.next('receive_message');
    await expectRejected(a, 'send_message', { receiverId: '999999', content: 'x' }, 'Receiver not found');
    await expectRejected(a, 'no_such_event', {}, 'Unknown event: no_such_event');
    assert.equal((await http(server.url, 'GET', '/api/users/999999', { token: alice.token })).status, 404);

    const { status, type, text } = await scrape(server.url);
    assert.equal(status, 200);
    assert.match(type ?? '', /^text\/plain/);
    assert.equal(sample(text, 'parley_connected_sockets'), 3);
    assert.equal(sample(text, 'parley_online_users'), 2);
    assert.equal(sample(text, 'parley_socket_connections_total'), 3);
    assert.equal(sample(text, 'parley_messages_sent_total'), 2);
    assert.equal(
      sample(text, 'parley_messages_delivered_total'),
      4,
      'two messages, two receiving sockets each',
    );
    assert.equal(sample(text, 'parley_send_duration_seconds_count{outcome="stored"}'), 2);
    assert.equal(sample(text, 'parley_send_duration_seconds_count{outcome="refused"}'), 1);
    assert.equal(sample(text, 'parley_errors_total{code="RECEIVER_NOT_FOUND",transport="socket"}'), 1);
    assert.equal(sample(text, 'parley_errors_total{code="UNKNOWN_EVENT",transport="socket"}'), 1);
    assert.equal(sample(text, 'parley_errors_total{code="USER_NOT_FOUND",transport="http"}'), 1);
    assert.ok((sample(text, 'nodejs_eventloop_lag_p99_seconds') ?? -1) >= 0, 'event-loop delay is exported');
  });

  it('counts refused handshakes', async () => {
    const before = sample((await scrape(server.url)).text, 'parley_socket_refusals_total') ?? 0;
    await assert.rejects(connectClient(server.url, 'not-a-token'));
    assert.equal(sample((await scrape(server.url)).text, 'parley_socket_refusals_total'), before + 1);
  });

  it('gives every REST answer an x-request-id, keeping a sane one the caller sent', async () => {
    const fresh = await fetch(`${server.url}/healthz`);
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-abc.123' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-abc.123');
    const replaced = await fetch(`${server.url}/healthz`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('METRICS_TOKEN', () => {
  let server: TestServer;
  after(() => server?.close());

  it('protects /metrics with a bearer token when set', async () => {
    const token = 'metrics-token-0123456789';
    server = await startServer({ METRICS_TOKEN: token });
    const refused = await scrape(server.url);
    assert.equal(refused.status, 401);
    assert.match(JSON.parse(refused.text).message, /METRICS_TOKEN/);
    assert.equal((await scrape(server.url, { authorization: 'Bearer wrong-token-000000000' })).status, 401);
    const allowed = await scrape(server.url, { authorization: `Bearer ${token}` });
    assert.equal(allowed.status, 200);
    assert.match(allowed.text, /parley_connected_sockets 0/);
  });
});
