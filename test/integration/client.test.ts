import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  LiveInbox,
  ParleyError,
  ParleyRest,
  applyConversationUpdated,
  createClient,
  login,
  register,
  type ClientOptions,
  type ConversationUpdatedPayload,
  type ParleyClient,
  type WireConversation,
  type WireMessage,
} from '../../client/src/index.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, testBackend, type TestServer } from '../support/server.js';
import { TEST_REDIS_URL, createTestRedisPrefix, createTestSchema } from '../support/services.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/** The typed client (`client/`) against a real Parley: every helper, refusals, and safe retries. */

const quick: ClientOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 200 };

/** Messages between two users as stored, read back over REST. */
async function stored(url: string, me: Registered, other: Registered): Promise<WireMessage[]> {
  const res = await http(url, 'GET', `/api/messages/${other.user._id}?limit=100`, { token: me.token });
  assert.equal(res.status, 200);
  return res.body.messages;
}

/**
 * Fault injection on the server: the first `send_message` is handled as usual (the message is stored) but
 * its acknowledgement is withheld and `then` runs instead, as if the ack were lost on the way back.
 * Resolves once that happened. Applies to sockets that connect after the call.
 */
function withholdFirstAck(server: TestServer, then: (socket: { conn: { close(): void } }) => void) {
  let armed = true;
  return new Promise<void>((resolve) => {
    server.app.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (armed && packet[0] === 'send_message' && typeof packet.at(-1) === 'function') {
          armed = false;
          packet[packet.length - 1] = () => {
            then(socket);
            resolve();
          };
        }
        next();
      });
    });
  });
}

describe('typed client', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  let client: ParleyClient;
  let bobTab: TestClient;
  const extra: ParleyClient[] = [];

  before(async () => {
    server = await startServer({ RATE_LIMITS: 'off' });
    alice = await registerUser(server.url, { name: 'Alice Client' });
    bob = await registerUser(server.url, { name: 'Bob Observer' });
    bobTab = await connectClient(server.url, bob.token);
    client = createClient(server.url, alice.token, quick);
  });
  afterEach(() => extra.splice(0).forEach((c) => c.close()));
  after(async () => {
    client?.close();
    bobTab?.close();
    await server?.close();
  });

  it('register and login resolve a token the socket accepts; ready() resolves the user', async () => {
    const tag = Date.now().toString(36);
    const input = { name: 'Cleo', username: `cleo_${tag}`, email: `cleo_${tag}@example.test` };
    const made = await register(server.url, { ...input, password: 'long enough pw' });
    assert.equal(made.user.username, input.username);
    const again = await login(server.url, { username: input.username, password: 'long enough pw' });
    assert.equal(again.user._id, made.user._id);
    const cleo = createClient(server.url, again.token, quick);
    extra.push(cleo);
    assert.deepEqual(await cleo.ready(), { _id: made.user._id, name: 'Cleo', username: input.username });
    assert.equal(cleo.me?._id, made.user._id);

    await assert.rejects(register(server.url, { ...input, password: 'long enough pw' }), {
      name: 'ParleyError',
      message: 'Username already taken',
      status: 409,
    });
    await assert.rejects(login(server.url, { username: input.username, password: 'wrong password' }), {
      message: 'Invalid credentials',
      status: 401,
    });
  });

  it('ready() rejects with the server message when the handshake is refused', async () => {
    const bad = createClient(server.url, 'not-a-jwt', quick);
    extra.push(bad);
    await assert.rejects(bad.ready(), { message: 'Authentication error: Invalid token' });
    await assert.rejects(bad.sendMessage(bob.user._id, 'never'), /not reconnecting/);
  });

  it('sendMessage resolves the stored message with a generated clientMessageId', async () => {
    const sent = await client.sendMessage(bob.user._id, 'hello from the typed client');
    assert.equal(sent.content, 'hello from the typed client');
    assert.equal(sent.receiverId, bob.user._id);
    assert.match(sent.clientMessageId ?? '', /^[0-9a-f]{32}$/);
    const got = await bobTab.next('receive_message', (m: WireMessage) => m._id === sent._id);
    assert.equal(got.clientMessageId, sent.clientMessageId);

    const again = await client.sendMessage(bob.user._id, 'changed', {
      clientMessageId: sent.clientMessageId,
    });
    assert.equal(again._id, sent._id, 'the same clientMessageId answers with the stored message');
  });

  it('a refusal rejects with the server message and is not retried', async () => {
    const retries: Error[] = [];
    const onRetry = (_: number, err: Error) => retries.push(err);
    await assert.rejects(client.sendMessage('999999999', 'to nobody', { onRetry }), (err: unknown) => {
      assert.ok(err instanceof ParleyError);
      assert.equal(err.message, 'Receiver not found');
      assert.equal(err.source, 'send_message');
      return true;
    });
    await assert.rejects(client.sendMessage(bob.user._id, '   ', { onRetry }), {
      message: 'content must not be empty',
    });
    await assert.rejects(client.markRead('999999999', { onRetry }), { message: 'Message not found' });
    await assert.rejects(client.history('999999999', { onRetry }), { message: 'User not found' });
    assert.deepEqual(retries, []);
  });

  it('markRead, unreadCount and the read receipt', async () => {
    const bobClient = createClient(server.url, bob.token, quick);
    extra.push(bobClient);
    const before = await bobClient.unreadCount();
    const sent = await client.sendMessage(bob.user._id, 'please read me');
    assert.equal(await bobClient.unreadCount(), before + 1);
    const receipt = new Promise<{ messageId: string }>((resolve) =>
      client.socket.on('message_read', (p) => p.messageId === sent._id && resolve(p)),
    );
    const read = await bobClient.markRead(sent._id);
    assert.equal(read._id, sent._id);
    assert.equal(read.read, true);
    assert.equal((await receipt).messageId, sent._id);
    assert.equal(await bobClient.unreadCount(), before);
    await assert.rejects(client.markRead(sent._id), { message: 'Access denied' });
  });

  it('history pages the conversation, oldest first within a page', async () => {
    const carol = await registerUser(server.url, { name: 'Carol History' });
    for (const n of [1, 2, 3]) await client.sendMessage(carol.user._id, `h${n}`);
    const first = await client.history(carol.user._id, { page: 1, limit: 2 });
    assert.deepEqual(
      first.messages.map((m) => m.content),
      ['h2', 'h3'],
    );
    assert.deepEqual(first.pagination, { page: 1, limit: 2, hasMore: true });
    assert.equal(first.otherUser?._id, carol.user._id);
    const second = await client.history(carol.user._id, { page: 2, limit: 2 });
    assert.deepEqual(
      second.messages.map((m) => m.content),
      ['h1'],
    );
    assert.equal(second.pagination.hasMore, false);
  });

  it('sync follows hasMore across pages and returns the cursor for next time', async () => {
    const dave = await registerUser(server.url, { name: 'Dave Sync' });
    const daveClient = createClient(server.url, dave.token, quick);
    extra.push(daveClient);
    const start = await daveClient.sync();
    assert.deepEqual(start.messages, []);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) ids.push((await client.sendMessage(dave.user._id, `s${n}`))._id);
    const pages: number[] = [];
    daveClient.socket.on('missed_messages', (p) => pages.push(p.messages.length));
    const all = await daveClient.sync(start.lastMessageId, { limit: 2 });
    assert.deepEqual(
      all.messages.map((m) => m._id),
      ids,
    );
    assert.equal(all.lastMessageId, ids.at(-1));
    assert.deepEqual(pages, [2, 2, 1]);
    assert.deepEqual((await daveClient.sync(all.lastMessageId)).messages, []);
  });

  it('typing helpers reach the receiver; typing() stops by itself when idle', async () => {
    const typist = createClient(server.url, alice.token, { ...quick, typingIdleMs: 300 });
    extra.push(typist);
    const mine = (isTyping: boolean) => (p: { userId: string; isTyping: boolean }) =>
      p.userId === alice.user._id && p.isTyping === isTyping;
    await typist.startTyping(bob.user._id);
    await bobTab.next('typing_indicator', mine(true));
    await typist.stopTyping(bob.user._id);
    await bobTab.next('typing_indicator', mine(false));

    typist.typing(bob.user._id);
    typist.typing(bob.user._id);
    await bobTab.next('typing_indicator', mine(true));
    await bobTab.next('typing_indicator', mine(false), 2000);
    await assert.rejects(typist.startTyping('999999999'), { message: 'Receiver not found' });
  });

  it('the inbox helpers: openDirect, sendToConversation, conversations, markConversationRead, messages', async () => {
    const carol = await registerUser(server.url, { name: 'Carol Inbox' });
    const carolClient = createClient(server.url, carol.token, quick);
    extra.push(carolClient);
    const opened = await client.openDirect(carol.user._id);
    assert.equal(opened.type, 'direct');
    assert.equal((await carolClient.openDirect(alice.user._id))._id, opened._id);
    const sent: WireMessage[] = [];
    for (const n of [1, 2, 3]) sent.push(await client.sendToConversation(opened._id, `c${n}`));
    assert.ok(sent.every((m) => m.conversationId === opened._id && m.clientMessageId));

    const { conversations, nextCursor } = await carolClient.conversations({ limit: 5 });
    assert.equal(nextCursor, null);
    assert.deepEqual(
      conversations.map((c) => [c._id, c.lastMessage?.content, c.unreadCount]),
      [[opened._id, 'c3', 3]],
    );
    assert.equal((await carolClient.conversation(opened._id)).unreadCount, 3);

    const older = await carolClient.messages(opened._id, { before: sent[2]!._id, limit: 1 });
    assert.deepEqual([older.messages.map((m) => m.content), older.hasMore], [['c2'], true]);
    const newer = await carolClient.messages(opened._id, { after: sent[0]!._id });
    assert.deepEqual(
      newer.messages.map((m) => m.content),
      ['c2', 'c3'],
    );

    const read = await carolClient.markConversationRead(opened._id, sent[1]!._id);
    assert.deepEqual(read, {
      success: true,
      conversationId: opened._id,
      lastReadMessageId: sent[1]!._id,
      unreadCount: 1,
    });
    assert.equal(await carolClient.unreadCount(), 1);
    await assert.rejects(client.conversation('999999999'), { message: 'Conversation not found' });

    // Typing in a conversation.
    const carolTab = await connectClient(server.url, carol.token);
    try {
      await client.startTyping({ conversationId: opened._id });
      const indicator = await carolTab.next('typing_indicator');
      assert.deepEqual([indicator.conversationId, indicator.isTyping], [opened._id, true]);
      await client.stopTyping({ conversationId: opened._id });
      assert.equal((await carolTab.next('typing_indicator')).isTyping, false);
    } finally {
      carolTab.close();
    }
  });

  it('the group helpers: create, rename, add, roles, remove, leave, with conversation_updated to each member', async () => {
    const [bea, cal] = await Promise.all([
      registerUser(server.url, { name: 'Bea Group' }),
      registerUser(server.url, { name: 'Cal Group' }),
    ]);
    const beaClient = createClient(server.url, bea.token, quick);
    const calClient = createClient(server.url, cal.token, quick);
    extra.push(beaClient, calClient);
    await Promise.all([client.ready(), beaClient.ready(), calClient.ready()]);
    const updates = (c: ParleyClient) => {
      const seen: ConversationUpdatedPayload[] = [];
      c.onConversationUpdated((u) => seen.push(u));
      return seen;
    };
    const [toAlice, toBea, toCal] = [updates(client), updates(beaClient), updates(calClient)];
    const next = async (seen: ConversationUpdatedPayload[], count: number) => {
      for (let i = 0; i < 100 && seen.length < count; i++) await sleep(20);
      assert.equal(seen.length, count, `${count} conversation_updated`);
      return seen.at(-1)!;
    };

    const group = await client.createGroup('  Launch  ', [bea.user._id]);
    assert.deepEqual(
      [group.type, group.title, group.memberCount, group.unreadCount],
      ['group', 'Launch', 2, 0],
    );
    assert.deepEqual(
      group.members.map((m) => [m._id, m.role]),
      [
        [alice.user._id, 'owner'],
        [bea.user._id, 'member'],
      ],
    );
    const created = await next(toBea, 1);
    assert.deepEqual([created.change.type, created.change.by], ['created', alice.user._id]);
    assert.deepEqual(created.change.userIds?.toSorted(), [alice.user._id, bea.user._id].toSorted());
    assert.equal((await next(toAlice, 1)).change.type, 'created');

    const renamed = await client.renameGroup(group._id, 'Launch plan');
    assert.equal(renamed.title, 'Launch plan');
    assert.equal((await next(toBea, 2)).conversation.title, 'Launch plan');

    const added = await client.addMembers(group._id, [cal.user._id]);
    assert.equal(added.memberCount, 3);
    assert.deepEqual((await next(toCal, 1)).change, {
      type: 'members_added',
      by: alice.user._id,
      userIds: [cal.user._id],
    });
    const promoted = await client.setMemberRole(group._id, bea.user._id, 'admin');
    assert.equal(promoted.members.find((m) => m._id === bea.user._id)?.role, 'admin');
    assert.equal((await next(toCal, 2)).change.type, 'role_changed');

    // Chat in it; Cal is removed by the admin and hears nothing more of it.
    const hello = await beaClient.sendToConversation(group._id, 'hello group');
    assert.equal(hello.receiverId, null);
    const removed = await beaClient.removeMember(group._id, cal.user._id);
    assert.equal(removed.memberCount, 2);
    const removal = await next(toCal, 3);
    assert.deepEqual(removal.change, {
      type: 'member_removed',
      by: bea.user._id,
      userIds: [cal.user._id],
    });
    const heard: WireMessage[] = [];
    calClient.socket.on('receive_message', (m) => heard.push(m));
    await client.sendToConversation(group._id, 'after Cal left');
    await assert.rejects(calClient.conversation(group._id), { message: 'Conversation not found' });
    await assert.rejects(calClient.sendToConversation(group._id, 'let me back'), {
      message: 'Conversation not found',
    });
    await assert.rejects(beaClient.setMemberRole(group._id, alice.user._id, 'member'), {
      message: 'Access denied',
    });
    await assert.rejects(client.createGroup('', []), { message: 'title must not be empty' });

    // The owner leaves: Bea (the admin) becomes owner; Alice gets the neutral copy.
    const left = await client.leaveGroup(group._id);
    assert.deepEqual(
      left.members.map((m) => [m._id, m.role]),
      [[bea.user._id, 'owner']],
    );
    assert.deepEqual((await next(toAlice, 6)).change, {
      type: 'member_left',
      by: alice.user._id,
      userIds: [alice.user._id],
    });
    // The hand-over reaches the members, not the owner who left.
    const takeover = await next(toBea, 7);
    assert.deepEqual(takeover.change, {
      type: 'role_changed',
      by: alice.user._id,
      userIds: [bea.user._id],
    });
    await sleep(100);
    assert.deepEqual(heard, [], 'nothing of the group after the removal');
    assert.equal(toCal.length, 3, 'one conversation_updated for the removal, then none');
    assert.equal(toAlice.length, 6, 'nothing more after leaving');
  });

  it('LiveInbox follows messages, reads and group changes; a removed member drops the group', async () => {
    const [bea, cal] = await Promise.all([
      registerUser(server.url, { name: 'Bea Live' }),
      registerUser(server.url, { name: 'Cal Live' }),
    ]);
    const beaClient = createClient(server.url, bea.token, quick);
    const calClient = createClient(server.url, cal.token, quick);
    extra.push(beaClient, calClient);
    const calInbox = new LiveInbox(calClient);
    await calClient.ready();
    const until = async (what: string, check: () => boolean) => {
      for (let i = 0; i < 150 && !check(); i++) await sleep(20);
      assert.ok(check(), what);
    };
    await until('page 1 loaded', () => calInbox.list().length === 0);
    let changes = 0;
    calInbox.subscribe(() => changes++);

    const group = await beaClient.createGroup('Live', [cal.user._id]);
    await until('the new group appears', () => calInbox.get(group._id)?.title === 'Live');
    await beaClient.sendToConversation(group._id, 'one');
    await beaClient.sendToConversation(group._id, 'two');
    await until('two unread', () => calInbox.get(group._id)?.unreadCount === 2);
    assert.equal(calInbox.get(group._id)?.lastMessage?.content, 'two');

    await beaClient.renameGroup(group._id, 'Live again');
    await until('renamed, unread kept', () => calInbox.get(group._id)?.title === 'Live again');
    assert.equal(calInbox.get(group._id)?.unreadCount, 2, 'the neutral payload does not reset my count');
    await calClient.markConversationRead(group._id);
    await until('read', () => calInbox.get(group._id)?.unreadCount === 0);

    // A direct conversation it did not know is fetched; the newest activity comes first.
    await client.sendMessage(cal.user._id, 'direct hello');
    await until('the direct conversation appears', () => calInbox.list().length === 2);
    assert.equal(calInbox.list()[0]?.type, 'direct');

    await beaClient.removeMember(group._id, cal.user._id);
    await until('the group drops out', () => calInbox.get(group._id) === undefined);
    assert.deepEqual(
      calInbox.list().map((c) => c.type),
      ['direct'],
    );
    assert.ok(changes >= 5);
    calInbox.close();
  });

  it("applyConversationUpdated keeps the viewer's own state and drops a conversation they left", () => {
    const base: WireConversation = {
      _id: '7',
      type: 'group',
      title: 'Old',
      createdAt: '2024-01-01T00:00:00.000Z',
      lastMessage: null,
      lastActivityAt: '2024-01-01T00:00:00.000Z',
      memberCount: 2,
      members: [],
      unreadCount: 3,
      lastReadMessageId: '41',
      muted: true,
    };
    const neutral = { ...base, title: 'New', unreadCount: 0, lastReadMessageId: null, muted: false };
    const renamed = applyConversationUpdated(
      base,
      { conversation: neutral, change: { type: 'renamed', by: '1' } },
      '2',
    );
    assert.deepEqual(
      [renamed?.title, renamed?.unreadCount, renamed?.lastReadMessageId, renamed?.muted],
      ['New', 3, '41', true],
    );
    const change = { type: 'member_left' as const, by: '2', userIds: ['2'] };
    assert.equal(applyConversationUpdated(base, { conversation: neutral, change }, '2'), null);
    assert.equal(applyConversationUpdated(base, { conversation: neutral, change }, '1')?.title, 'New');
  });

  it('ParleyRest: the group routes and read receipts, with the same answers and refusals', async () => {
    const [bea, cal] = await Promise.all([
      registerUser(server.url, { name: 'Bea Rest' }),
      registerUser(server.url, { name: 'Cal Rest' }),
    ]);
    const api = new ParleyRest(server.url, alice.token);
    const beaApi = new ParleyRest(server.url, bea.token);
    const calTab = await connectClient(server.url, cal.token);
    try {
      const group = await api.createGroup('Rest group', [bea.user._id]);
      assert.deepEqual([group.type, group.title, group.memberCount], ['group', 'Rest group', 2]);
      assert.equal((await api.renameGroup(group._id, 'Renamed')).title, 'Renamed');
      assert.equal((await api.addMembers(group._id, [cal.user._id])).memberCount, 3);
      const joined = await calTab.next(
        'conversation_updated',
        (u: ConversationUpdatedPayload) => u.change.type === 'members_added',
      );
      assert.equal(joined.conversation._id, group._id);
      const roles = await api.setMemberRole(group._id, bea.user._id, 'admin');
      assert.equal(roles.members.find((m) => m._id === bea.user._id)?.role, 'admin');
      assert.deepEqual(
        (await api.members(group._id, { limit: 2 })).members.map((m) => m._id),
        [alice.user._id, bea.user._id],
      );

      // Receipts: for the sender only; Bea reads, then shows up in readBy.
      const sent = await client.sendToConversation(group._id, 'who read this?');
      assert.deepEqual((await api.receipts(sent._id)).readBy, []);
      await beaApi.request('POST', `/api/conversations/${group._id}/read`, {});
      const receipts = await api.receipts(sent._id);
      assert.deepEqual(
        receipts.readBy.map((r) => r.userId),
        [bea.user._id],
      );
      await assert.rejects(beaApi.receipts(sent._id), {
        name: 'ParleyError',
        message: 'Access denied',
        status: 403,
      });

      // Bea (admin) removes Cal; Cal is answered 404 from then on, and leaves nothing behind.
      assert.equal((await beaApi.removeMember(group._id, cal.user._id)).memberCount, 2);
      await calTab.next(
        'conversation_updated',
        (u: ConversationUpdatedPayload) => u.change.type === 'member_removed',
      );
      await assert.rejects(new ParleyRest(server.url, cal.token).conversation(group._id), {
        message: 'Conversation not found',
        status: 404,
      });
      await assert.rejects(beaApi.removeMember(group._id, alice.user._id), { status: 403 });
      await assert.rejects(api.addMembers(group._id, ['999999999']), {
        message: 'Unknown user: 999999999',
        status: 400,
      });

      // Leaving over REST is removing oneself.
      const left = await beaApi.removeMember(group._id, bea.user._id);
      assert.deepEqual(
        left.members.map((m) => m._id),
        [alice.user._id],
      );
      const inbox = await beaApi.conversations({ limit: 100 });
      assert.equal(
        inbox.conversations.some((c) => c._id === group._id),
        false,
      );
    } finally {
      calTab.close();
    }
  });

  it('an ack that never comes: retried after the timeout with the same clientMessageId, stored once', async () => {
    const withheld = withholdFirstAck(server, () => undefined);
    const sender = createClient(server.url, alice.token, quick);
    extra.push(sender);
    await sender.ready();
    const retries: string[] = [];
    const sent = await sender.sendMessage(bob.user._id, 'slow ack', {
      clientMessageId: 'timeout-1',
      timeoutMs: 500,
      onRetry: (_, err) => retries.push(err.message),
    });
    await withheld;
    assert.deepEqual(retries, ['operation has timed out']);
    assert.equal(sent.clientMessageId, 'timeout-1');
    const rows = (await stored(server.url, alice, bob)).filter((m) => m.clientMessageId === 'timeout-1');
    assert.deepEqual(
      rows.map((m) => m._id),
      [sent._id],
    );
  });

  it('the connection lost after the message was stored: retried on reconnect, stored once', async () => {
    withholdFirstAck(server, (socket) => socket.conn.close());
    const sender = createClient(server.url, alice.token, quick);
    extra.push(sender);
    await sender.ready();
    const retries: string[] = [];
    const sent = await sender.sendMessage(bob.user._id, 'lost ack', {
      clientMessageId: 'disconnect-1',
      onRetry: (_, err) => retries.push(err.message),
    });
    assert.deepEqual(retries, ['socket has been disconnected']);
    const rows = (await stored(server.url, alice, bob)).filter((m) => m.clientMessageId === 'disconnect-1');
    assert.deepEqual(
      rows.map((m) => m._id),
      [sent._id],
    );
  });

  it('close() rejects what is pending and further calls', async () => {
    const withheld = withholdFirstAck(server, () => undefined);
    const closing = createClient(server.url, alice.token, quick);
    await closing.ready();
    const pending = closing.sendMessage(bob.user._id, 'cut short', { timeoutMs: 5000 });
    await withheld;
    closing.close();
    await assert.rejects(pending, { message: 'The Parley client is closed' });
    await assert.rejects(closing.unreadCount(), /closed/);
  });
});

describe('typed client across a server restart', () => {
  let storage: { env: Record<string, string>; cleanup(): Promise<void> };
  const servers: TestServer[] = [];
  let client: ParleyClient | undefined;

  before(async () => {
    if (testBackend === 'scaled') {
      const [schema, prefix] = [await createTestSchema(), createTestRedisPrefix()];
      storage = {
        env: { DATABASE_URL: schema.url, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix.prefix },
        cleanup: async () => void (await Promise.all([schema.drop(), prefix.clear()])),
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'parley-client-restart-'));
      storage = {
        env: { DATA_DIR: dir },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
  });
  after(async () => {
    client?.close();
    for (const s of servers) await s.close();
    await storage?.cleanup();
  });

  it('a send stored by the old process, ack lost as it stops, is retried to the new one and stored once', async () => {
    const first = await startServer({ RATE_LIMITS: 'off', ...storage.env });
    servers.push(first);
    const port = new URL(first.url).port;
    const alice = await registerUser(first.url, { name: 'Alice Restart' });
    const bob = await registerUser(first.url, { name: 'Bob Restart' });
    const withheld = withholdFirstAck(first, () => undefined);
    client = createClient(first.url, alice.token, quick);
    await client.ready();

    const retries: string[] = [];
    const sending = client.sendMessage(bob.user._id, 'across a restart', {
      clientMessageId: 'restart-1',
      timeoutMs: 3000,
      retries: 3,
      onRetry: (_, err) => retries.push(err.message),
    });
    await withheld;
    await first.close();
    await sleep(200);
    const second = await startServer({ RATE_LIMITS: 'off', ...storage.env, PORT: port });
    servers.push(second);

    const sent = await sending;
    assert.deepEqual(retries, ['socket has been disconnected']);
    assert.equal(sent.clientMessageId, 'restart-1');
    const rows = (await stored(second.url, alice, bob)).filter((m) => m.clientMessageId === 'restart-1');
    assert.deepEqual(
      rows.map((m) => m._id),
      [sent._id],
    );
  });
});
