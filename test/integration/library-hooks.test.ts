import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Parley, ParleyHooks, SocketInfo } from '../../src/parley-types.js';
import type { MessageStored } from '../../src/services/event-bus.js';
import { attachParley } from '../../src/library.js';
import type { ExternalIdentity } from '../../src/services/ports.js';
import type { SendDraft } from '../../src/services/send-policy.js';
import { http } from '../support/http.js';
import { testBackend } from '../support/server.js';
import { TEST_REDIS_URL, createTestRedisPrefix, createTestSchema } from '../support/services.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/** The host's users; `token-<id>` is the host's token for user `<id>`. */
const hostUsers = new Map([
  ['h-ada', { name: 'Ada', username: 'ada' }],
  ['h-ben', { name: 'Ben', username: 'ben' }],
  ['h-cy', { name: 'Cy', username: 'cy' }],
]);
const identity: ExternalIdentity = {
  verifyToken: async (token) => (token.startsWith('token-') ? token.slice('token-'.length) : null),
  findUser: async (id) => hostUsers.get(id),
};

const MAX_LENGTH = 40;

/** What the hooks saw, and what `beforeSend` and `afterStore` do in the current test. */
const seen = {
  drafts: [] as SendDraft[],
  stored: [] as MessageStored[],
  connects: [] as SocketInfo[],
  disconnects: [] as SocketInfo[],
};
let policy: ParleyHooks['beforeSend'] = () => undefined;
let onStored: (stored: MessageStored) => unknown = () => undefined;
let onConnected: (socket: SocketInfo) => unknown = () => undefined;

const hooks: ParleyHooks = {
  beforeSend: (draft) => {
    seen.drafts.push(draft);
    return policy?.(draft);
  },
  afterStore: (stored) => {
    seen.stored.push(stored);
    return onStored(stored);
  },
  onConnect: (socket) => {
    seen.connects.push(socket);
    return onConnected(socket);
  },
  onDisconnect: (socket) => void seen.disconnects.push(socket),
};

/** Waits until `check` holds (hooks on disconnect run after the client has seen it close). */
async function eventually(check: () => boolean, what: string, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe('library mode: the host hooks', () => {
  let app: FastifyInstance;
  let parley: Parley;
  let url: string;
  let dataDir: string;
  const logged: Array<{ level: number; msg: string }> = [];
  const cleanups: Array<() => Promise<void>> = [];
  let ada: { _id: string };
  let ben: { _id: string };
  let cy: { _id: string };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-hooks-'));
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      JWT_SECRET: 'hooks-test-secret-0123456789abcdefghijkl',
      MAX_MESSAGE_LENGTH: String(MAX_LENGTH),
      RATE_LIMIT_SEND_BURST: 'off',
    };
    if (testBackend === 'scaled') {
      const schema = await createTestSchema();
      const redis = createTestRedisPrefix();
      cleanups.push(schema.drop, redis.clear);
      Object.assign(env, { DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: redis.prefix });
    }
    // The host's logger: Parley logs what the hooks throw there.
    const stream = { write: (line: string) => void logged.push(JSON.parse(line)) };
    app = Fastify({ logger: { level: 'warn', stream } });
    parley = await attachParley(app, { env, identity, hooks });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const me = async (id: string) =>
      (await http(url, 'GET', '/api/auth/me', { token: `token-${id}` })).body.user;
    [ada, ben, cy] = [await me('h-ada'), await me('h-ben'), await me('h-cy')];
  });
  after(async () => {
    await app?.close();
    for (const cleanup of cleanups) await cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    policy = () => undefined;
    onStored = () => undefined;
    onConnected = () => undefined;
    seen.drafts.length = 0;
    seen.stored.length = 0;
  });

  /** The contents of Ada and Ben's conversation, oldest first. */
  const contents = async () =>
    (await http(url, 'GET', `/api/messages/${ben._id}`, { token: 'token-h-ada' })).body.messages.map(
      (m: { content: string }) => m.content,
    );

  const pair = async (): Promise<[TestClient, TestClient]> => [
    await connectClient(url, 'token-h-ada'),
    await connectClient(url, 'token-h-ben'),
  ];

  it('asks beforeSend about each new message, after validation, with the draft, before storing', async () => {
    const [adaSocket, benSocket] = await pair();
    try {
      policy = (draft) => ({ content: draft.content.replaceAll('darn', '****') });
      const ack = await adaSocket.ack('send_message', { receiverId: ben._id, content: '  darn it  ' });
      assert.equal(ack.success, true);
      assert.equal(ack.message.content, '**** it');
      assert.equal((await benSocket.next('receive_message')).content, '**** it');
      assert.equal((await benSocket.next('message_notification')).message, '**** it');
      assert.equal((await adaSocket.next('message_sent')).message.content, '**** it');
      const [draft] = seen.drafts;
      assert.equal(draft?.sender.id, ada._id);
      assert.equal(draft?.content, 'darn it', 'the draft is validated and trimmed');
      assert.equal(draft?.receiver?.id, ben._id);
      assert.deepEqual(draft?.recipientIds, [ben._id]);

      // Over REST too, in the conversation that now exists.
      const rest = await http(url, 'POST', '/api/messages', {
        token: 'token-h-ben',
        body: { receiverId: ada._id, content: 'darn REST' },
      });
      assert.deepEqual([rest.status, rest.body.message.content], [201, '**** REST']);
      assert.equal(seen.drafts[1]?.conversationId, ack.message.conversationId);
      // Invalid input never reaches the hook.
      await adaSocket.ack('send_message', { receiverId: ben._id, content: '   ' });
      assert.equal(seen.drafts.length, 2);
      assert.deepEqual((await contents()).slice(-2), ['**** it', '**** REST']);
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('refuses a send the hook rejects, with its message (403 over REST), and stores nothing', async () => {
    const [adaSocket, benSocket] = await pair();
    try {
      const before = await contents();
      policy = (draft) => (draft.content.includes('http') ? { reject: 'No links, please' } : undefined);
      const ack = await adaSocket.ack('send_message', { receiverId: ben._id, content: 'see http://x.test' });
      assert.deepEqual(ack, { success: false, message: 'No links, please' });
      assert.deepEqual(await adaSocket.next('error'), { message: 'No links, please' });
      const rest = await http(url, 'POST', '/api/messages', {
        token: 'token-h-ada',
        body: { receiverId: ben._id, content: 'http again' },
      });
      assert.deepEqual([rest.status, rest.body], [403, { message: 'No links, please' }]);
      // An async hook, and a rejection without a message.
      policy = async () => ({ reject: '' });
      const bare = await adaSocket.ack('send_message', { receiverId: ben._id, content: 'anything' });
      assert.deepEqual(bare, { success: false, message: 'Message rejected' });

      policy = () => undefined;
      await adaSocket.ack('send_message', { receiverId: ben._id, content: 'plain text' });
      assert.equal(
        (await benSocket.next('receive_message')).content,
        'plain text',
        'nothing refused was sent',
      );
      assert.deepEqual(await contents(), [...before, 'plain text']);
      assert.deepEqual(
        seen.stored.map((s) => s.message.content),
        ['plain text'],
      );
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('validates rewritten content as a client’s: not empty, not longer than MAX_MESSAGE_LENGTH', async () => {
    const [adaSocket, benSocket] = await pair();
    try {
      const before = await contents();
      policy = () => ({ content: '   ' });
      assert.deepEqual(await adaSocket.ack('send_message', { receiverId: ben._id, content: 'x' }), {
        success: false,
        message: 'content must not be empty',
      });
      policy = () => ({ content: 'y'.repeat(MAX_LENGTH + 1) });
      const long = await http(url, 'POST', '/api/messages', {
        token: 'token-h-ada',
        body: { receiverId: ben._id, content: 'x' },
      });
      assert.deepEqual(
        [long.status, long.body.message],
        [400, `content must be at most ${MAX_LENGTH} characters`],
      );
      policy = () => ({ content: 'y'.repeat(MAX_LENGTH) });
      const ok = await adaSocket.ack('send_message', { receiverId: ben._id, content: 'x' });
      assert.equal(ok.message.content, 'y'.repeat(MAX_LENGTH));
      assert.deepEqual(await contents(), [...before, 'y'.repeat(MAX_LENGTH)]);
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('fails the send with "Failed to send message" when beforeSend throws or rejects, and logs it', async () => {
    const [adaSocket, benSocket] = await pair();
    try {
      const before = await contents();
      policy = () => {
        throw new Error('policy service down');
      };
      assert.deepEqual(await adaSocket.ack('send_message', { receiverId: ben._id, content: 'one' }), {
        success: false,
        message: 'Failed to send message',
      });
      policy = async () => Promise.reject(new Error('policy timed out'));
      const rest = await http(url, 'POST', '/api/messages', {
        token: 'token-h-ada',
        body: { receiverId: ben._id, content: 'two' },
      });
      assert.deepEqual([rest.status, rest.body], [500, { message: 'Failed to send message' }]);
      assert.deepEqual(await contents(), before);
      const failures = logged.filter((l) => l.msg === 'the beforeSend hook failed');
      assert.equal(failures.length, 2);
      policy = () => undefined;
      assert.equal(
        (await adaSocket.ack('send_message', { receiverId: ben._id, content: 'three' })).success,
        true,
      );
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('calls afterStore with the stored message and its id, once announced; what it throws changes nothing', async () => {
    const [adaSocket, benSocket] = await pair();
    try {
      const ack = await adaSocket.ack('send_message', {
        receiverId: ben._id,
        content: 'stored',
        clientMessageId: 'k1',
      });
      const [stored] = seen.stored;
      assert.equal(seen.stored.length, 1);
      assert.equal(stored?.message.id, ack.message._id);
      assert.equal(stored?.message.content, 'stored');
      assert.equal(stored?.message.conversationId, ack.message.conversationId);
      assert.ok(stored?.message.sentAt instanceof Date);
      assert.equal(stored?.sender.id, ada._id);
      assert.equal(stored?.receiver?.id, ben._id);
      assert.deepEqual(stored?.recipientIds, [ben._id]);
      // A retry is answered with the stored message: neither hook runs again.
      const retry = await adaSocket.ack('send_message', {
        receiverId: ben._id,
        content: 'stored',
        clientMessageId: 'k1',
      });
      assert.equal(retry.message._id, ack.message._id);
      assert.deepEqual([seen.drafts.length, seen.stored.length], [1, 1]);

      const failuresBefore = logged.filter((l) => l.msg === 'an event subscriber failed').length;
      onStored = () => {
        throw new Error('analytics down');
      };
      const sync = await adaSocket.ack('send_message', { receiverId: ben._id, content: 'despite a throw' });
      assert.equal(sync.success, true);
      onStored = async () => Promise.reject(new Error('analytics timed out'));
      const rest = await http(url, 'POST', '/api/messages', {
        token: 'token-h-ada',
        body: { receiverId: ben._id, content: 'despite a rejection' },
      });
      assert.equal(rest.status, 201);
      await benSocket.next('receive_message', (m: { content: string }) => m.content === 'despite a throw');
      await benSocket.next(
        'receive_message',
        (m: { content: string }) => m.content === 'despite a rejection',
      );
      await eventually(
        () => logged.filter((l) => l.msg === 'an event subscriber failed').length === failuresBefore + 2,
        'both afterStore failures are logged',
      );
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('calls onConnect and onDisconnect once per socket, with the user and the socket id', async () => {
    // The sockets of earlier tests, closed by their clients, are all reported first.
    await eventually(
      () => seen.disconnects.length === seen.connects.length,
      'earlier sockets are reported closed',
    );
    const [connects, disconnects] = [seen.connects.length, seen.disconnects.length];
    const cyTabs = [await connectClient(url, 'token-h-cy'), await connectClient(url, 'token-h-cy')];
    const ids = cyTabs.map((tab) => tab.socket.id);
    const opened = seen.connects.slice(connects);
    assert.deepEqual(
      opened.map((s) => [s.user.id, s.socketId]),
      ids.map((id) => [cy._id, id]),
    );
    for (const tab of cyTabs) tab.close();
    await eventually(() => seen.disconnects.length >= disconnects + 2, 'both sockets are reported closed');
    await sleep(100);
    const closed = seen.disconnects.slice(disconnects);
    assert.deepEqual(closed.map((s) => s.socketId).sort(), [...ids].sort());
    assert.ok(closed.every((s) => s.user.id === cy._id));
  });

  it('keeps a socket whose onConnect throws or rejects working', async () => {
    onConnected = () => {
      throw new Error('host bookkeeping failed');
    };
    const adaSocket = await connectClient(url, 'token-h-ada');
    onConnected = async () => Promise.reject(new Error('host bookkeeping timed out'));
    const benSocket = await connectClient(url, 'token-h-ben');
    try {
      await adaSocket.next('online_users');
      await benSocket.next('online_users');
      assert.equal(
        (await adaSocket.ack('send_message', { receiverId: ben._id, content: 'still here' })).success,
        true,
      );
      assert.equal((await benSocket.next('receive_message')).content, 'still here');
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it("gives the host the core's event bus: parley.events", async () => {
    assert.equal(parley.events, parley.services.events);
    const typed: Array<[string, boolean]> = [];
    const off = parley.events.on(
      'typing.changed',
      ({ typist, isTyping }) => void typed.push([typist.id, isTyping]),
    );
    const [adaSocket, benSocket] = await pair();
    try {
      await adaSocket.ack('typing_start', { receiverId: ben._id });
      await benSocket.next('typing_indicator');
      off();
      await adaSocket.ack('typing_stop', { receiverId: ben._id });
      await benSocket.next('typing_indicator');
      assert.deepEqual(typed, [[ada._id, true]]);
    } finally {
      adaSocket.close();
      benSocket.close();
    }
  });

  it('gives beforeSend and afterStore every other member of a group as recipientIds', async () => {
    const created = await http(url, 'POST', '/api/conversations', {
      token: 'token-h-ada',
      body: { type: 'group', title: 'hooks', memberIds: [ben._id, cy._id] },
    });
    assert.equal(created.status, 201);
    const conversationId = created.body.conversation._id;
    const sent = await http(url, 'POST', '/api/messages', {
      token: 'token-h-ben',
      body: { conversationId, content: 'to the group' },
    });
    assert.equal(sent.status, 201);
    const sorted = (ids: string[] | undefined) => [...(ids ?? [])].sort();
    assert.deepEqual(sorted(seen.drafts[0]?.recipientIds), sorted([ada._id, cy._id]));
    assert.deepEqual(sorted(seen.stored[0]?.recipientIds), sorted([ada._id, cy._id]));
    assert.equal(seen.stored[0]?.receiver, null);
  });
});
