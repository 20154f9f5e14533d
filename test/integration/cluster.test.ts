import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { runParley } from '../support/cli.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { scaleOutSkip } from '../support/services.js';
import { sleep, type TestClient } from '../support/socket.js';
import {
  directConversation,
  PRESENCE_TTL_MS,
  Tabs,
  WAIT,
  aboutUser,
  byId,
  isIso,
  sentOf,
  startCluster,
  withOutput,
  type Cluster,
  type ClusterNode,
  type Offline,
  type Sent,
  type Typing,
} from './cluster-support.js';

type ReadPayload = { messageId: string; readBy: { _id: string; name: string }; readAt: string };
type OnlineUser = Registered['user'] & { userId: string };

/** How often each process re-checks the users holding its sockets. */
const RECHECK_MS = 300;

/** Resolves once the server closed `tab` because its user is gone: `error`, then `io server disconnect`. */
async function closedAsGone(tab: TestClient): Promise<void> {
  assert.deepEqual(await tab.next('error', () => true, WAIT), {
    message: 'Authentication error: User not found',
  });
  // The disconnect may have come before this was called (while the CLI ran): it is recorded.
  assert.equal(await tab.closed(WAIT), 'io server disconnect');
}

/** How long to wait, after a later event proves the work was done, before asserting that nothing came. */
const QUIET = 300;

describe('a cluster of three Parley processes', { skip: await scaleOutSkip() }, () => {
  let cluster: Cluster;
  let p1: ClusterNode;
  let p2: ClusterNode;
  let p3: ClusterNode;
  const tabs = new Tabs();

  /** A test whose failure message carries every process's output. */
  const test = (name: string, fn: () => Promise<void>) => it(name, () => withOutput(cluster, fn));

  before(async () => {
    cluster = await startCluster(3, { SESSION_RECHECK_MS: String(RECHECK_MS) });
    [p1, p2, p3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  afterEach(() => tabs.closeAll());
  after(async () => {
    tabs.closeAll();
    await cluster?.stop();
  });

  test('one direct conversation per pair when every process opens it at once; its inbox and cursor everywhere', async () => {
    const ann = await registerUser(p1.url, { name: 'Ann Race' });
    const ben = await registerUser(p2.url, { name: 'Ben Race' });
    const nodes = [p1, p2, p3];
    const opens = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        const [me, other] = i % 2 ? [ann, ben] : [ben, ann];
        return http((nodes[i % 3] as ClusterNode).url, 'POST', '/api/conversations', {
          token: me.token,
          body: { type: 'direct', userId: other.user._id },
        });
      }),
    );
    assert.equal(new Set(opens.map((o) => o.body.conversation?._id)).size, 1, 'one conversation');
    assert.equal(opens.filter((o) => o.status === 201).length, 1, 'created once');
    const conversationId = opens[0]!.body.conversation._id as string;

    // A message through process 3 by receiverId lands in it; a cursor moved on process 1 reaches process 2.
    const b2 = await tabs.connect(p2, ben.token);
    const a1 = await tabs.connect(p1, ann.token);
    const sent = await (
      await tabs.connect(p3, ann.token)
    ).ack<Sent>('send_message', {
      receiverId: ben.user._id,
      content: 'raced',
    });
    assert.equal(sent.message.conversationId, conversationId);
    const read = await http(p1.url, 'POST', `/api/conversations/${conversationId}/read`, {
      token: ben.token,
    });
    assert.deepEqual(read.body, {
      success: true,
      conversationId,
      lastReadMessageId: sent.message._id,
      unreadCount: 0,
    });
    for (const tab of [a1, b2]) {
      const cursor = await tab.next('conversation_read', () => true, WAIT);
      assert.deepEqual([cursor.userId, cursor.lastReadMessageId], [ben.user._id, sent.message._id]);
    }
    const inbox = await http(p3.url, 'GET', '/api/conversations', { token: ben.token });
    assert.deepEqual(
      inbox.body.conversations.map((c: { _id: string; unreadCount: number }) => [c._id, c.unreadCount]),
      [[conversationId, 0]],
    );
  });

  test('delivers a message to every tab of both users, whichever process holds them', async () => {
    const alice = await registerUser(p1.url, { name: 'Alice Cluster' });
    const bob = await registerUser(p2.url, { name: 'Bob Cluster' });
    const [a1, a3] = [await tabs.connect(p1, alice.token), await tabs.connect(p3, alice.token)];
    const [b2, b3] = [await tabs.connect(p2, bob.token), await tabs.connect(p3, bob.token)];

    const sent = await a1.ack<Sent>('send_message', { receiverId: bob.user._id, content: ' hi across ' });
    const message = sent.message;
    assert.equal(sent.success, true);
    assert.match(message._id, /^\d+$/);
    assert.deepEqual(
      { ...message, sentAt: 'checked below' },
      {
        _id: message._id,
        conversationId: message.conversationId,
        content: 'hi across',
        sentAt: 'checked below',
        read: false,
        senderId: alice.user._id,
        senderName: 'Alice Cluster',
        receiverId: bob.user._id,
        receiverName: 'Bob Cluster',
      },
    );
    assert.ok(isIso(message.sentAt));
    for (const tab of [a1, a3])
      assert.deepEqual(await tab.next('message_sent', sentOf(message._id), WAIT), sent);
    for (const tab of [b2, b3]) {
      assert.deepEqual(await tab.next('receive_message', byId(message._id), WAIT), message);
      assert.deepEqual(await tab.next('message_notification', () => true, WAIT), {
        type: 'new_message',
        from: { _id: alice.user._id, name: 'Alice Cluster' },
        message: 'hi across',
        timestamp: message.sentAt,
        conversationId: message.conversationId,
      });
    }

    // REST on process 2 reaches Alice's tabs on processes 1 and 3, and Bob's own tabs on 2 and 3.
    const res = await http(p2.url, 'POST', '/api/messages', {
      token: bob.token,
      body: { receiverId: alice.user._id, content: 'reply by REST' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const reply = (res.body as Sent).message;
    assert.equal(reply.senderId, bob.user._id);
    for (const tab of [a1, a3]) {
      assert.deepEqual(await tab.next('receive_message', byId(reply._id), WAIT), reply);
      const note = await tab.next('message_notification', () => true, WAIT);
      assert.deepEqual(note.from, { _id: bob.user._id, name: 'Bob Cluster' });
      assert.equal(note.message, 'reply by REST');
    }
    for (const tab of [b2, b3])
      assert.deepEqual(await tab.next('message_sent', sentOf(reply._id), WAIT), res.body);

    await sleep(QUIET);
    for (const tab of [a1, a3, b2, b3]) {
      assert.equal(tab.all('message_sent').length, 1, 'one message_sent per tab');
      assert.equal(tab.all('receive_message').length, 1, 'one receive_message per tab');
      assert.equal(tab.all('message_notification').length, 1, 'one message_notification per tab');
    }
  });

  test('sends read receipts to the sender and the reader on every process', async () => {
    const alice = await registerUser(p1.url, { name: 'Alice Sender' });
    const bob = await registerUser(p3.url, { name: 'Bob Reader' });
    const aliceTabs = [await tabs.connect(p1, alice.token), await tabs.connect(p2, alice.token)];
    const bobTabs = [await tabs.connect(p3, bob.token), await tabs.connect(p1, bob.token)];
    const res = await http(p1.url, 'POST', '/api/messages', {
      token: alice.token,
      body: { receiverId: bob.user._id, content: 'please read' },
    });
    assert.equal(res.status, 201);
    const message = (res.body as Sent).message;
    const readMessage = { ...message, read: true };

    const confirmed = await bobTabs[0]!.ack('mark_message_read', { messageId: message._id });
    assert.deepEqual(confirmed, { success: true, message: readMessage });
    const firstReads: ReadPayload[] = [];
    for (const tab of aliceTabs) {
      const read = await tab.next<ReadPayload>('message_read', () => true, WAIT);
      assert.deepEqual(read, {
        messageId: message._id,
        readBy: { _id: bob.user._id, name: 'Bob Reader' },
        readAt: read.readAt,
      });
      assert.ok(isIso(read.readAt));
      firstReads.push(read);
    }
    assert.equal(firstReads[0]!.readAt, firstReads[1]!.readAt);
    for (const tab of bobTabs)
      assert.deepEqual(await tab.next('message_read_confirmed', () => true, WAIT), confirmed);

    // Marking again through REST on process 2 re-emits both events and keeps the first readAt.
    const again = await http(p2.url, 'PATCH', `/api/messages/${message._id}/read`, { token: bob.token });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { success: true, message: readMessage });
    for (const tab of aliceTabs)
      assert.deepEqual(await tab.next('message_read', () => true, WAIT), firstReads[0]);
    for (const tab of bobTabs)
      assert.deepEqual(await tab.next('message_read_confirmed', () => true, WAIT), confirmed);

    await sleep(QUIET);
    for (const tab of aliceTabs) assert.equal(tab.all('message_read_confirmed').length, 0);
    for (const tab of bobTabs) assert.equal(tab.all('message_read').length, 0);
  });

  test('carries typing indicators across processes and ends them by timeout exactly once', async () => {
    const alice = await registerUser(p2.url, { name: 'Alice Typist' });
    const bob = await registerUser(p1.url, { name: 'Bob Watcher' });
    const [a1, a3] = [await tabs.connect(p1, alice.token), await tabs.connect(p3, alice.token)];
    const bobTabs = [await tabs.connect(p2, bob.token), await tabs.connect(p3, bob.token)];
    const conversationId = await directConversation(p1.url, alice.token, bob.user._id);
    const indicator = (isTyping: boolean): Typing => ({
      userId: alice.user._id,
      userName: 'Alice Typist',
      isTyping,
      conversationId,
    });
    const expect = async (isTyping: boolean) => {
      for (const tab of bobTabs)
        assert.deepEqual(await tab.next('typing_indicator', () => true, WAIT), indicator(isTyping));
    };

    assert.deepEqual(await a1.ack('typing_start', { receiverId: bob.user._id }), { success: true });
    await expect(true);
    // Stopped from another process than the one that started it.
    assert.deepEqual(await a3.ack('typing_stop', { receiverId: bob.user._id }), { success: true });
    await expect(false);

    // No typing_stop this time: the state lapses after TYPING_TIMEOUT_MS, and although all three processes
    // sweep for lapsed states, exactly one announces it.
    assert.deepEqual(await a3.ack('typing_start', { receiverId: bob.user._id }), { success: true });
    await expect(true);
    await expect(false);
    await sleep(1000);
    for (const tab of bobTabs)
      assert.deepEqual(
        tab.all<Typing>('typing_indicator').map((t) => t.isTyping),
        [true, false, true, false],
      );
    for (const tab of [a1, a3]) assert.equal(tab.all('typing_indicator').length, 0);
  });

  test('shares presence: online_users spans processes, one user_online/user_offline per user', async () => {
    const watcher = await registerUser(p3.url, { name: 'Presence Watcher' });
    const observers = [
      await tabs.connect(p1, watcher.token),
      await tabs.connect(p2, watcher.token),
      await tabs.connect(p3, watcher.token),
    ];
    const xavier = await registerUser(p1.url, { name: 'Xavier On One' });
    const yasmin = await registerUser(p2.url, { name: 'Yasmin On Two' });
    const zoe = await registerUser(p3.url, { name: 'Zoe On Three' });
    await tabs.connect(p1, xavier.token);
    await tabs.connect(p2, yasmin.token);
    const z3 = await tabs.connect(p3, zoe.token);
    const listed = z3.all<OnlineUser[]>('online_users')[0]!;
    for (const user of [xavier.user, yasmin.user, watcher.user]) {
      const entry = listed.find((u) => u.userId === user._id);
      assert.ok(entry, `${user.name} (on another process) is in online_users on process 3`);
      assert.deepEqual({ ...entry, lastSeen: null }, { userId: user._id, ...user, lastSeen: null });
      assert.ok(isIso(entry.lastSeen));
    }
    assert.equal(listed.filter((u) => u.userId === zoe.user._id).length, 0, 'never lists the user themself');

    const dana = await registerUser(p2.url, { name: 'Dana Two Tabs' });
    const onlineOf = (tab: TestClient) => tab.all('user_online').filter(aboutUser(dana.user._id));
    const offlineOf = (tab: TestClient) => tab.all('user_offline').filter(aboutUser(dana.user._id));
    const d1 = await tabs.connect(p1, dana.token);
    for (const tab of observers)
      assert.deepEqual(await tab.next('user_online', aboutUser(dana.user._id), WAIT), {
        userId: dana.user._id,
        name: 'Dana Two Tabs',
        username: dana.user.username,
      });

    // A second tab on another process: no second user_online. A message sent from that tab afterwards is
    // published by the same process after any user_online it would have sent, so once every observer has
    // it, a second user_online would have arrived too.
    const d2 = await tabs.connect(p2, dana.token);
    const fence = await d2.ack<Sent>('send_message', { receiverId: watcher.user._id, content: 'fence' });
    for (const tab of observers) await tab.next('receive_message', byId(fence.message._id), WAIT);
    for (const tab of observers) assert.equal(onlineOf(tab).length, 1, 'user_online once');

    // Closing one of the two tabs: Dana stays online.
    d1.close();
    await sleep(QUIET + 200);
    const probe = await tabs.connect(p3, watcher.token);
    assert.ok(
      probe.all<OnlineUser[]>('online_users')[0]!.some(aboutUser(dana.user._id)),
      'Dana still online',
    );
    for (const tab of observers) assert.equal(offlineOf(tab).length, 0, 'no user_offline for the first tab');

    // Closing the last one: user_offline exactly once on every process.
    d2.close();
    const offline: Offline[] = [];
    for (const tab of observers)
      offline.push(await tab.next<Offline>('user_offline', aboutUser(dana.user._id), WAIT));
    assert.ok(isIso(offline[0]!.lastSeen));
    for (const payload of offline)
      assert.deepEqual(payload, { userId: dana.user._id, lastSeen: offline[0]!.lastSeen });
    // A second user_offline could only come from another process finding Dana's entries lapsed: wait
    // out their lifetime and a sweep before counting.
    await sleep(PRESENCE_TTL_MS + QUIET);
    for (const tab of [...observers, probe]) assert.equal(offlineOf(tab).length, 1, 'user_offline once');
    for (const tab of observers) assert.equal(onlineOf(tab).length, 1, 'user_online once');
    assert.equal(onlineOf(probe).length, 0, 'a tab opened while Dana was online gets no user_online');
  });

  test('serves the same history and unread counts from every process', async () => {
    const alice = await registerUser(p1.url, { name: 'Alice History' });
    const bob = await registerUser(p3.url, { name: 'Bob History' });
    const aliceTabs = [p1, p2, p3].map((node) => tabs.connect(node, alice.token));
    const bobTabs = [p1, p2, p3].map((node) => tabs.connect(node, bob.token));
    const [a1, , a3] = await Promise.all(aliceTabs);
    const bTabs = await Promise.all(bobTabs);

    // Four messages written through three processes, by socket and by REST.
    const ids: string[] = [];
    ids.push((await a1!.ack<Sent>('send_message', { receiverId: bob.user._id, content: 'one' })).message._id);
    const viaRest = async (node: ClusterNode, from: Registered, to: Registered, content: string) => {
      const res = await http(node.url, 'POST', '/api/messages', {
        token: from.token,
        body: { receiverId: to.user._id, content },
      });
      assert.equal(res.status, 201);
      return (res.body as Sent).message._id;
    };
    ids.push(await viaRest(p2, alice, bob, 'two'));
    ids.push(await viaRest(p3, bob, alice, 'three'));
    ids.push(
      (await a3!.ack<Sent>('send_message', { receiverId: bob.user._id, content: 'four' })).message._id,
    );

    const histories = [];
    for (const node of [p1, p2, p3]) {
      const res = await http(node.url, 'GET', `/api/messages/${bob.user._id}`, { token: alice.token });
      assert.equal(res.status, 200);
      histories.push(res.body);
    }
    const history = histories[0];
    assert.deepEqual(
      history.messages.map((m: WireMessage) => [m._id, m.content]),
      ids.map((id, i) => [id, ['one', 'two', 'three', 'four'][i]]),
    );
    assert.deepEqual(history.otherUser, { _id: bob.user._id, name: 'Bob History' });
    assert.deepEqual(history.pagination, { page: 1, limit: 50, hasMore: false });
    for (const other of histories.slice(1)) assert.deepEqual(other, history);
    for (const tab of await Promise.all(aliceTabs))
      assert.deepEqual(await tab.ack('get_message_history', { otherUserId: bob.user._id }), history);

    const unreadEverywhere = async (user: Registered, userTabs: TestClient[], count: number) => {
      for (const node of [p1, p2, p3]) {
        const res = await http(node.url, 'GET', '/api/messages/unread-count', { token: user.token });
        assert.deepEqual([res.status, res.body], [200, { count }], `REST unread count on ${node.name}`);
      }
      for (const tab of userTabs) assert.deepEqual(await tab.ack('get_unread_count'), { count });
    };
    await unreadEverywhere(bob, bTabs, 3);
    await unreadEverywhere(alice, await Promise.all(aliceTabs), 1);

    const marked = await http(p2.url, 'PATCH', `/api/messages/${ids[1]}/read`, { token: bob.token });
    assert.equal(marked.status, 200);
    await unreadEverywhere(bob, bTabs, 2);
  });

  test('a user disabled by the CLI or deleted in PostgreSQL loses their sockets on every process', async () => {
    const [alice, carol, bob] = [
      await registerUser(p1.url),
      await registerUser(p2.url),
      await registerUser(p3.url),
    ];
    const aliceTabs = [
      await tabs.connect(p1, alice.token),
      await tabs.connect(p2, alice.token),
      await tabs.connect(p3, alice.token),
    ];
    const carolTabs = [await tabs.connect(p1, carol.token), await tabs.connect(p3, carol.token)];
    const bobTab = await tabs.connect(p2, bob.token);

    const disabled = await runParley(['user', 'disable', alice.user.username], {
      env: { DATABASE_URL: cluster.databaseUrl, JWT_SECRET: 'any-secret-of-32-bytes-or-more-0123456789' },
    });
    assert.equal(disabled.code, 0, disabled.stderr);
    await Promise.all(aliceTabs.map(closedAsGone));

    const db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    try {
      await db.query('DELETE FROM users WHERE id = $1', [Number(carol.user._id)]);
    } finally {
      await db.end();
    }
    await Promise.all(carolTabs.map(closedAsGone));

    await sleep(2 * RECHECK_MS);
    assert.equal(bobTab.socket.connected, true, 'other users stay connected');
    for (const node of [p1, p2, p3]) {
      const me = await http(node.url, 'GET', '/api/auth/me', { token: alice.token });
      assert.deepEqual(
        [me.status, me.body.message],
        [401, 'Authentication error: User not found'],
        node.name,
      );
    }
  });
});
