import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import * as F from '../support/fuzz.js';
import { bodyOf, request, segmentOf } from '../support/fuzz-http.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/**
 * Property-based fuzzing of the group events and routes. Each emit gets exactly one acknowledgement —
 * success with the group, or `{success: false, message}` together with an `error` event carrying the same
 * message — and no socket is disconnected. A non-object payload names itself; an accepted title is the
 * trimmed input of 1–100 characters. REST answers are JSON with a 2xx/4xx status, never 5xx. At the end,
 * every group the fuzzer reaches is consistent: `memberCount` equals its members, exactly one owner.
 */

const EVENTS = ['create_group', 'update_conversation', 'add_members', 'remove_member', 'set_member_role'];
const STATUSES = [200, 201, 400, 403, 404, 409, 413, 414, 415];

describe('group fuzzing: socket events and REST routes', { timeout: 180_000 }, () => {
  let server: TestServer;
  let fuzzer: Registered;
  const others: Registered[] = [];
  let socket: TestClient;
  const dropped: string[] = [];
  let groups: string[] = [];
  const stats = new Map<string, { emits: number; accepted: number }>();

  before(async () => {
    server = await startServer({ RATE_LIMITS: 'off', MAX_GROUP_MEMBERS: '4' });
    fuzzer = await registerUser(server.url);
    for (let i = 0; i < 4; i += 1) others.push(await registerUser(server.url));
    socket = await connectClient(server.url, fuzzer.token);
    socket.socket.on('disconnect', (reason) => dropped.push(reason));
    for (let i = 0; i < 3; i += 1) {
      const res = await http(server.url, 'POST', '/api/conversations', {
        token: fuzzer.token,
        body: { type: 'group', title: `seed ${i}`, memberIds: [others[i]?.user._id] },
      });
      groups.push(res.body.conversation._id);
    }
    // A group the fuzzer is not in, and a direct conversation.
    const foreign = await http(server.url, 'POST', '/api/conversations', {
      token: (others[3] as Registered).token,
      body: { type: 'group', title: 'not yours' },
    });
    groups.push(foreign.body.conversation._id);
    const direct = await socket.ack('open_direct', { userId: others[0]?.user._id });
    groups.push(direct.conversation._id);
    await socket.next('conversation');
  });

  after(async () => {
    socket?.close();
    await server?.close();
  });

  const userIds = () => [fuzzer, ...others].map((u) => u.user._id);
  const title = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 0, maxLength: 12 }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.integer({ min: 97, max: 103 }), fc.constantFrom('t', '😀', 'é'), fc.constantFrom('', '  '))
        .map(([n, c, pad]) => `${pad}${c.repeat(n)}${pad}`),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => `${s}\0`) },
    { weight: 2, arbitrary: F.junk },
  );
  const ids = () =>
    fc.oneof({ weight: 3, arbitrary: fc.array(F.idLike(userIds()), { maxLength: 4 }) }, F.junk);
  const conversationId = () => F.idLike(groups);
  const role = fc.oneof(fc.constantFrom('owner', 'admin', 'member', 'Owner', ' admin', ''), F.junk);
  const payloads: Record<string, () => fc.Arbitrary<unknown>> = {
    create_group: () => F.mostly(F.objectOf({ title, memberIds: ids() }, ['title']), F.junk),
    update_conversation: () =>
      F.mostly(F.objectOf({ conversationId: conversationId(), title }, ['conversationId']), F.junk),
    add_members: () =>
      F.mostly(F.objectOf({ conversationId: conversationId(), userIds: ids() }, ['conversationId']), F.junk),
    remove_member: () =>
      F.mostly(
        F.objectOf({ conversationId: conversationId(), userId: F.idLike(userIds()) }, ['conversationId']),
        F.junk,
      ),
    set_member_role: () =>
      F.mostly(
        F.objectOf({ conversationId: conversationId(), userId: F.idLike(userIds()), role }, [
          'conversationId',
        ]),
        F.junk,
      ),
  };

  async function fire(event: string, args: unknown[]): Promise<void> {
    const row = stats.get(event) ?? { emits: 0, accepted: 0 };
    stats.set(event, row);
    row.emits += 1;
    const ack = await socket.ack(event, ...args);
    const p = F.socketWire(args)[0];
    const label = `${event} ${JSON.stringify(p)?.slice(0, 200)} → ${JSON.stringify(ack).slice(0, 200)}`;
    if (ack?.success === false) {
      assert.equal(typeof ack.message, 'string', label);
      assert.deepEqual(Object.keys(ack).sort(), ['message', 'success'], label);
      if (!F.isObject(p)) assert.equal(ack.message, `${event} payload must be an object`, label);
      const error = await socket.next('error', (e) => e.message === ack.message, 5000);
      assert.deepEqual(error, { message: ack.message });
      return;
    }
    row.accepted += 1;
    assert.ok(F.isObject(p), label);
    const conversation = ack.conversation;
    assert.equal(conversation?.type, 'group', label);
    if (event === 'create_group' || event === 'update_conversation') {
      const given = String(F.field(p, 'title')).trim();
      assert.equal(conversation.title, given, label);
      assert.ok(Array.from(given).length >= 1 && Array.from(given).length <= 100, label);
    }
    if (event === 'create_group') groups.push(conversation._id);
    if (event === 'create_group') assert.deepEqual(await socket.next('conversation'), ack, label);
  }

  for (const event of EVENTS) {
    it(`answers every ${event} once, with a success or a named refusal`, async () => {
      const args = fc
        .oneof(
          { weight: 12, arbitrary: fc.tuple(payloads[event]!(), F.extras).map(([p, rest]) => [p, ...rest]) },
          { weight: 1, arbitrary: fc.constant([] as unknown[]) },
        )
        .filter(F.sendable);
      await fc.assert(
        fc.asyncProperty(args, (a) => fire(event, a)),
        F.fuzzOptions(event === 'create_group' ? 150 : 250),
      );
    });
  }

  it('answers every group route with JSON and a 2xx or 4xx status, never a 5xx', async () => {
    const routes = fc.oneof(
      fc.record({
        method: fc.constant('POST'),
        path: fc.constant('/api/conversations'),
        sent: bodyOf(
          F.mostly(
            F.objectOf({ type: fc.constantFrom('group', 'direct', 'x'), title, memberIds: ids() }),
            F.junk,
          ),
        ),
      }),
      fc.record({
        method: fc.constantFrom('PATCH', 'POST'),
        path: segmentOf(conversationId()).map((s) => `/api/conversations/${s.text}`),
        sent: bodyOf(F.mostly(F.objectOf({ title, userIds: ids() }), F.junk)),
      }),
      fc.record({
        method: fc.constant('POST'),
        path: segmentOf(conversationId()).map((s) => `/api/conversations/${s.text}/members`),
        sent: bodyOf(F.mostly(F.objectOf({ userIds: ids() }), F.junk)),
      }),
      fc.record({
        method: fc.constantFrom('DELETE', 'PATCH'),
        path: fc
          .tuple(segmentOf(conversationId()), segmentOf(F.idLike(userIds())))
          .map(([c, u]) => `/api/conversations/${c.text}/members/${u.text}`),
        sent: bodyOf(F.mostly(F.objectOf({ role }), F.junk)),
      }),
      fc.record({
        method: fc.constant('GET'),
        path: segmentOf(F.idLike(['1', '2', '3'])).map((s) => `/api/messages/${s.text}/receipts`),
        sent: fc.constant({}),
      }),
    );
    await fc.assert(
      fc.asyncProperty(routes, async ({ method, path, sent }) => {
        const body = method === 'GET' || method === 'DELETE' ? {} : sent;
        const answer = await request(server.url, method, path, {
          ...body,
          authorization: `Bearer ${fuzzer.token}`,
        });
        const label = `${method} ${path} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
        assert.ok(STATUSES.includes(answer.status) || answer.status === 404, label);
        assert.match(answer.contentType, /application\/json/, label);
        if (answer.status >= 400) assert.equal(typeof answer.body.message, 'string', label);
        if (answer.status === 201 && answer.body.conversation?.type === 'group') {
          groups.push(answer.body.conversation._id);
        }
      }),
      F.fuzzOptions(400),
    );
  });

  it('kept the socket connected and every group consistent', async () => {
    await sleep(200);
    assert.deepEqual(dropped, []);
    groups = [...new Set(groups)];
    let checked = 0;
    for (const id of groups) {
      const res = await http(server.url, 'GET', `/api/conversations/${id}/members?limit=100`, {
        token: fuzzer.token,
      });
      if (res.status === 404) continue;
      const view = await http(server.url, 'GET', `/api/conversations/${id}`, { token: fuzzer.token });
      if (view.body.conversation.type !== 'group') continue;
      const members = res.body.members as Array<{ _id: string; role: string }>;
      assert.equal(view.body.conversation.memberCount, members.length, `group ${id}`);
      assert.ok(members.length <= 4, `group ${id} within MAX_GROUP_MEMBERS`);
      assert.equal(members.filter((m) => m.role === 'owner').length, 1, `group ${id} has one owner`);
      checked += 1;
    }
    assert.ok(checked > 0);
    assert.deepEqual((await http(server.url, 'GET', '/healthz')).body, { status: 'ok' });
    const rows = [...stats].map(([event, row]) => `${event} ${row.accepted}/${row.emits}`).join(', ');
    console.log(`group fuzz (seed ${F.FUZZ_SEED}): accepted/emitted: ${rows}`);
  });
});
