import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/** One malformed emit: the event, its arguments (before any ack) and the exact error it must get. */
interface Case {
  event: string;
  args: unknown[];
  expect: string;
}

const HUGE = 'x'.repeat(900 * 1024);
const BINARY = Buffer.from([0, 1, 2, 0xfe, 0xff]);
const deep = (depth: number) => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
};
/** Own `__proto__` / `constructor` keys, as JSON.parse on the server produces them. */
const polluted = (inner: Record<string, unknown>): unknown =>
  JSON.parse(
    `{"__proto__":${JSON.stringify({ ...inner, x: 1 })},"constructor":{"prototype":${JSON.stringify(inner)}}}`,
  );

const FIELD = {
  send_message: 'receiverId',
  mark_message_read: 'messageId',
  typing_start: 'receiverId',
  typing_stop: 'receiverId',
  get_message_history: 'otherUserId',
} as const;
type PayloadEvent = keyof typeof FIELD;
const NOT_FOUND: Record<PayloadEvent, string> = {
  send_message: 'Receiver not found',
  mark_message_read: 'Message not found',
  typing_start: 'Receiver not found',
  typing_stop: 'Receiver not found',
  get_message_history: 'User not found',
};

/** ~290 malformed emits covering every client event and unknown ones, aimed at the bystanders' real ids. */
function malformedCases(ids: { alice: string; bob: string; mallory: string; bobsMessage: string }): Case[] {
  const cases: Case[] = [];
  const add = (event: string, expect: string, payloads: unknown[]) => {
    for (const payload of payloads) cases.push({ event, args: [payload], expect });
  };
  const [alice, bob] = [ids.alice, ids.bob];
  const numbers = [0, 42, -1.5, NaN, Infinity];
  const roots = [undefined, null, ...numbers, 'NaN', '', '  ', 'hi', true, false, [], [1, 'x']];
  const to = (i: number) => (i % 2 ? alice : bob);
  for (const [e, field] of Object.entries(FIELD) as [PayloadEvent, string][]) {
    const base = e === 'send_message' ? { content: 'hi' } : {};
    const withId = (value: unknown) => ({ ...base, [field]: value });
    const notObject = `${e} payload must be an object`;
    cases.push({ event: e, args: [], expect: notObject });
    cases.push({ event: e, args: [null, withId(bob)], expect: notObject });
    add(e, notObject, [...roots, [bob, 'hi'], HUGE]);
    const fieldless = [{}, { foo: 1 }, { [field.toLowerCase()]: bob }, deep(1000), BINARY];
    add(e, `${field} is required`, [...fieldless, polluted(withId(bob)), withId(null)]);
    const wrongTypes = [42, 0, true, {}, { $ne: null }, [], [bob], BINARY, deep(50)];
    add(e, `${field} must be a string`, wrongTypes.map(withId));
    add(e, `${field} must not be empty`, ['', ' \t\n '].map(withId));
    add(e, `${field} is too long`, ['x'.repeat(129), ...(e === 'send_message' ? [HUGE] : [])].map(withId));
    add(e, NOT_FOUND[e], ['NaN', randomUUID(), `${bob}' OR '1'='1`].map(withId));
  }
  const self = 'receiverId must be another user';
  add('send_message', self, [{ receiverId: ids.mallory, content: 'hi' }]);
  add('typing_start', self, [{ receiverId: ids.mallory }]);
  add('typing_stop', self, [{ receiverId: ids.mallory }]);

  const contents = (expect: string, values: unknown[]) => {
    add(
      'send_message',
      expect,
      values.map((content, i) => ({ receiverId: to(i), content })),
    );
  };
  contents('content is required', [undefined, null]);
  contents('content must be a string', [42, 0, true, {}, { text: 'hi' }, [], ['hi'], BINARY, deep(100)]);
  contents('content must not be empty', ['', '   ', ' \t\n\r\u00a0\u3000\ufeff ']);
  contents('content must be at most 5000 characters', ['y'.repeat(5001), '😀'.repeat(5001), HUGE]);
  const withExtras = [{ receiverId: bob, content: 42 }, 'extra', 7];
  cases.push({ event: 'send_message', args: withExtras, expect: 'content must be a string' });

  const history = (expect: string, key: 'page' | 'limit', values: unknown[]) => {
    add(
      'get_message_history',
      expect,
      values.map((v, i) => ({ otherUserId: to(i), [key]: v })),
    );
  };
  const notNumbers = ['abc', 'NaN', 'Infinity', '1e3', '', true, {}, [], [1]];
  history('page must be a positive integer', 'page', [0, -1, 1.5, ...notNumbers]);
  history('page must be at most 1000000', 'page', [1e7]);
  history('limit must be a positive integer', 'limit', [0, -5, 2.5, ...notNumbers]);

  add('mark_message_read', 'Access denied', [{ messageId: ids.bobsMessage }]);
  add('mark_message_read', 'messageId must be a string', [{ messageId: Number(ids.bobsMessage) }]);
  const noSuchIds = ['-1', '1.5', '1e3', '99999999999999999999'].map((messageId) => ({ messageId }));
  add('mark_message_read', 'Message not found', noSuchIds);

  const unknown = ['foo', 'SEND_MESSAGE', 'send_message ', 'message', 'error', 'receive_message'];
  const protoNames = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  for (const name of [...unknown, ...protoNames, 'z'.repeat(1000), 42]) {
    for (const args of [[], [{ receiverId: bob, content: 'hi' }], [HUGE.slice(0, 10_000)]]) {
      cases.push({ event: name as string, args, expect: `Unknown event: ${String(name).slice(0, 64)}` });
    }
  }
  return cases;
}

describe('malformed input', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let mallory: Registered;
  let aliceSocket: TestClient;
  let bobSocket: TestClient;
  let attacker: TestClient;
  let bobsMessage: string;

  /** What storage says: unread counts, every conversation among the three, and the user count. */
  const snapshot = async () => {
    const get = async (who: Registered, path: string) => {
      const res = await http(server.url, 'GET', path, { token: who.token });
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    };
    return {
      aliceUnread: await get(alice, '/api/messages/unread-count'),
      bobUnread: await get(bob, '/api/messages/unread-count'),
      malloryUnread: await get(mallory, '/api/messages/unread-count'),
      aliceBob: await get(alice, `/api/messages/${bob.user._id}`),
      aliceMallory: await get(alice, `/api/messages/${mallory.user._id}`),
      bobMallory: await get(bob, `/api/messages/${mallory.user._id}`),
      users: (await get(alice, '/api/users?limit=1')).pagination.total,
    };
  };

  const assertHealthy = async () => {
    const health = await http(server.url, 'GET', '/healthz');
    assert.deepEqual({ status: health.status, body: health.body }, { status: 200, body: { status: 'ok' } });
  };

  before(async () => {
    server = await startServer();
    [alice, bob, mallory] = await Promise.all([
      registerUser(server.url),
      registerUser(server.url),
      registerUser(server.url),
    ]);
    aliceSocket = await connectClient(server.url, alice.token, { transports: ['websocket'] });
    bobSocket = await connectClient(server.url, bob.token, { transports: ['polling'] });
    attacker = await connectClient(server.url, mallory.token, { transports: ['websocket'] });
    bobsMessage = (
      await aliceSocket.ack('send_message', { receiverId: bob.user._id, content: 'seed for bob' })
    ).message._id;
    await aliceSocket.ack('send_message', { receiverId: mallory.user._id, content: 'seed for mallory' });
    await bobSocket.next('receive_message');
    await attacker.next('receive_message');
  });

  after(async () => {
    for (const client of [aliceSocket, bobSocket, attacker]) client?.close();
    await server?.close();
  });

  it('answers a burst of malformed socket payloads with errors and stores nothing', async () => {
    const cases = malformedCases({
      alice: alice.user._id,
      bob: bob.user._id,
      mallory: mallory.user._id,
      bobsMessage,
    });
    assert.ok(cases.length >= 250, `only ${cases.length} cases`);
    const initial = await snapshot();
    const bystanderEvents = () =>
      [aliceSocket, bobSocket].flatMap((c) =>
        [
          'receive_message',
          'message_notification',
          'typing_indicator',
          'message_read',
          'message_read_confirmed',
          'message_sent',
          'error',
        ].flatMap((event) => c.all(event).map((payload) => ({ event, payload }))),
      );
    const quietBefore = bystanderEvents().length;

    // First without acks, all at once; then the same cases with acks, all at once.
    for (const c of cases) attacker.emit(c.event, ...c.args);
    const acks = await Promise.all(cases.map((c) => attacker.ack(c.event, ...c.args)));
    acks.forEach((ack, i) => {
      const c = cases[i] as Case;
      assert.deepEqual(
        ack,
        { success: false, message: c.expect },
        `${c.event} ${JSON.stringify(c.args).slice(0, 120)}`,
      );
    });

    // Every send, acked or not, also emits `error`; wait until all have arrived, then a little longer.
    const expected = [...cases, ...cases].map((c) => c.expect).sort();
    const deadline = Date.now() + 5000;
    while (attacker.all('error').length < expected.length && Date.now() < deadline) await sleep(25);
    await sleep(250);
    const errors = attacker.all<{ message: unknown }>('error');
    for (const e of errors) assert.ok(typeof e.message === 'string' && e.message.length > 0);
    assert.deepEqual(errors.map((e) => e.message).sort(), expected);

    // get_unread_count takes no payload: whatever is sent along is ignored, and the count is right.
    for (const junk of [undefined, null, 42, 'x', [], { count: 99 }, BINARY, polluted({ count: 99 }), HUGE]) {
      assert.deepEqual(await attacker.ack('get_unread_count', junk), { count: 1 });
    }

    assert.equal(attacker.socket.connected, true);
    assert.equal(aliceSocket.socket.connected, true);
    assert.equal(bobSocket.socket.connected, true);
    assert.deepEqual(bystanderEvents().slice(quietBefore), [], 'bystanders must hear nothing of it');
    assert.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype must not be polluted');
    await assertHealthy();
    assert.deepEqual(await snapshot(), initial);
  });

  it('still delivers a normal message between the bystanders afterwards', async () => {
    aliceSocket.emit('send_message', { receiverId: bob.user._id, content: '  still here  ' });
    const received = await bobSocket.next('receive_message', (m) => m.content === 'still here');
    assert.equal(received.senderId, alice.user._id);
    const sent = await aliceSocket.next('message_sent', (p) => p.message.content === 'still here');
    assert.equal(sent.message._id, received._id);
    bobSocket.emit('send_message', { receiverId: alice.user._id, content: 'polling works too' });
    await aliceSocket.next('receive_message', (m) => m.content === 'polling works too');
    assert.deepEqual(await attacker.ack('get_unread_count'), { count: 1 });
  });

  it('answers malformed REST bodies with 4xx JSON {message} and stores nothing', async () => {
    const initial = await snapshot();
    const valid = {
      name: 'Eve',
      username: `eve_${Date.now()}`,
      email: `eve${Date.now()}@example.test`,
      password: 'long enough',
    };
    const validJson = JSON.stringify(valid).slice(0, -1);
    const JSON_TYPE = { 'content-type': 'application/json' };
    const bodies: { path: string; body?: unknown; headers?: Record<string, string>; status: number }[] = [];
    for (const path of ['/api/auth/register', '/api/auth/login', '/api/messages']) {
      bodies.push(
        { path, body: '{"name":', status: 400 },
        { path, body: '{bad json}', status: 400 },
        { path, body: 'null', status: 400 },
        { path, body: '[]', status: 400 },
        { path, body: JSON.stringify([valid]), status: 400 },
        { path, body: '"a string"', status: 400 },
        { path, body: '42', status: 400 },
        { path, body: 'true', status: 400 },
        { path, headers: JSON_TYPE, status: 400 },
        { path, body: JSON.stringify({ ...valid, content: 'z'.repeat(2 * 1024 * 1024) }), status: 413 },
        {
          path,
          body: 'a=1&b=2',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          status: 415,
        },
        { path, body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' }, status: 400 },
        { path, body: `${validJson},"__proto__":{"role":"admin"}}`, status: 400 },
        { path, body: `${validJson},"constructor":{"prototype":{"role":"admin"}}}`, status: 400 },
      );
    }
    const fields: [string, Record<string, unknown>][] = [
      ['/api/auth/register', { ...valid, name: 42 }],
      ['/api/auth/register', { ...valid, username: ['eve'] }],
      ['/api/auth/register', { ...valid, email: { $ne: '' } }],
      ['/api/auth/register', { ...valid, password: null }],
      ['/api/auth/register', { ...valid, role: { admin: true } }],
      ['/api/auth/login', { email: { $ne: '' }, password: { $ne: '' } }],
      ['/api/auth/login', { username: 42, password: 'x' }],
      ['/api/messages', { receiverId: bob.user._id, content: 42 }],
      ['/api/messages', { receiverId: { $ne: null }, content: 'hi' }],
      ['/api/messages', { receiverId: [bob.user._id], content: 'hi' }],
      ['/api/messages', { receiverId: bob.user._id, content: ' \n ' }],
      ['/api/messages', { receiverId: bob.user._id, content: 'q'.repeat(5001) }],
    ];
    for (const [path, body] of fields) bodies.push({ path, body, status: 400 });

    for (const { path, body, headers, status } of bodies) {
      const res = await http(server.url, 'POST', path, { token: mallory.token, body, headers });
      const label = `${path} ${String(typeof body === 'string' ? body : JSON.stringify(body)).slice(0, 80)}`;
      assert.equal(res.status, status, `${label}: ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, label);
      assert.ok(typeof res.body?.message === 'string' && res.body.message.length > 0, label);
    }
    const login = await http(server.url, 'POST', '/api/auth/login', {
      body: { email: valid.email, password: valid.password },
    });
    assert.equal(login.status, 401, 'no malformed registration may have created the user');
    await assertHealthy();
    assert.deepEqual(await snapshot(), initial);
    assert.equal(bobSocket.socket.connected, true);
  });
});
