import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageReadPayload, MissedMessagesPayload, WireMessage } from '../../src/protocol/outputs.js';
import { crossUser, byId, type CrossUser } from '../support/cross-user.js';
import { http } from '../support/http.js';
import { expectRejected } from '../support/socket.js';

const MESSAGE_KEYS = [
  '_id',
  'content',
  'conversationId',
  'read',
  'receiverId',
  'receiverName',
  'senderId',
  'senderName',
  'sentAt',
];

describe('authorization: read receipts, other pairs, spoofed fields', () => {
  let t: CrossUser;
  before(async () => {
    t = await crossUser();
  });
  after(() => t?.close());

  it("refuses marking someone else's message read, on sockets and REST, and changes nothing", async () => {
    const { alice, bob, carol, a, b, c } = t;
    const m = await t.send(alice, bob, 'for bob only');
    const bobUnread = await t.unread(bob);
    for (const who of [a, c]) {
      await expectRejected(who, 'mark_message_read', { messageId: m._id }, 'Access denied');
      // Extra fields naming the receiver do not help.
      const named = {
        messageId: m._id,
        readerId: bob.user._id,
        userId: bob.user._id,
        receiverId: bob.user._id,
      };
      await expectRejected(who, 'mark_message_read', named, 'Access denied');
    }
    for (const who of [alice, carol]) {
      const res = await http(t.server.url, 'PATCH', `/api/messages/${m._id}/read?userId=${bob.user._id}`, {
        token: who.token,
        body: { userId: bob.user._id, readerId: bob.user._id, read: true },
      });
      assert.equal(res.status, 403);
      assert.deepEqual(res.body, { message: 'Access denied' });
    }
    await t.flush(a, b, c);
    t.noEvents(['message_read', 'message_read_confirmed'], m._id);
    assert.equal((await t.row(m._id))?.readAt, null, 'read_at is still null');
    assert.deepEqual((await t.history(bob, alice)).find(byId(m._id)), { ...m, read: false });
    assert.equal(await t.unread(bob), bobUnread);

    // Bob still can: the refusals left nothing behind that would stop him.
    const ok = await b.ack('mark_message_read', { messageId: m._id });
    assert.deepEqual(ok, { success: true, message: { ...m, read: true } });
    assert.equal((await a.next<MessageReadPayload>('message_read', byId(m._id))).readBy._id, bob.user._id);
    assert.equal(await t.unread(bob), bobUnread - 1);
  });

  it('shows a third user only their own conversations: history, sync and unread count', async () => {
    const { alice, bob, carol, c, server } = t;
    const ab = [
      await t.send(alice, bob, 'ab 1'),
      await t.send(bob, alice, 'ab 2'),
      await t.send(alice, bob, 'ab 3'),
    ];
    const ca = [await t.send(carol, alice, 'ca 1'), await t.send(alice, carol, 'ca 2')];
    ab.push(await t.send(alice, bob, 'ab 4'));
    const abIds = new Set(ab.map((m) => m._id));
    const caIds = ca.map((m) => m._id);
    const isCarols = (m: WireMessage) =>
      !abIds.has(m._id) && (m.senderId === carol.user._id || m.receiverId === carol.user._id);

    // History with Alice: only Carol–Alice, and hasMore counts only that pair.
    const viaSocket = await c.ack('get_message_history', { otherUserId: alice.user._id, limit: 2 });
    assert.deepEqual(
      viaSocket.messages.map((m: WireMessage) => m._id),
      caIds,
    );
    assert.equal(viaSocket.pagination.hasMore, false);
    const viaRest = await http(server.url, 'GET', `/api/messages/${alice.user._id}?limit=2`, {
      token: carol.token,
    });
    assert.deepEqual(viaRest.body, viaSocket);
    // Page by page, with extra fields naming another user: still only Carol's.
    const paged: WireMessage[] = [];
    for (const page of [1, 2, 3]) {
      const named = { userId: bob.user._id, senderId: bob.user._id, receiverId: bob.user._id };
      const got = await c.ack('get_message_history', {
        otherUserId: alice.user._id,
        page,
        limit: 1,
        ...named,
      });
      paged.unshift(...(got.messages as WireMessage[]));
    }
    assert.deepEqual(
      paged.map((m) => m._id),
      caIds,
    );
    assert.deepEqual((await c.ack('get_message_history', { otherUserId: bob.user._id })).messages, []);
    const restBob = await http(server.url, 'GET', `/api/messages/${bob.user._id}?userId=${alice.user._id}`, {
      token: carol.token,
    });
    assert.deepEqual(restBob.body.messages, []);

    // sync from the beginning, page by page: exactly the messages Carol sent or received.
    const synced: WireMessage[] = [];
    let last = '0';
    for (;;) {
      const page: MissedMessagesPayload = await c.ack('sync', {
        lastMessageId: last,
        limit: 1,
        userId: alice.user._id,
      });
      synced.push(...page.messages);
      last = page.lastMessageId;
      if (!page.hasMore) break;
    }
    const carolId = Number(carol.user._id);
    const carols = await server.sql<{ id: unknown }>(
      'SELECT id FROM messages WHERE sender_id = ? OR receiver_id = ? ORDER BY id',
      [carolId, carolId],
    );
    assert.deepEqual(
      synced.map((m) => m._id),
      carols.map((r) => String(r.id)),
    );
    for (const m of synced) assert.ok(isCarols(m), `sync leaked ${m._id}`);
    const since = String(Number(ab[0]?._id) - 1);
    const rest = await http(
      server.url,
      'GET',
      `/api/messages/sync?lastMessageId=${since}&userId=${bob.user._id}`,
      {
        token: carol.token,
      },
    );
    assert.equal(rest.status, 200);
    assert.deepEqual(
      rest.body.messages.map((m: WireMessage) => m._id),
      caIds,
    );

    // Unread: only messages Carol received and has not read.
    const [unread] = await server.sql<{ n: unknown }>(
      'SELECT COUNT(*) AS n FROM messages WHERE receiver_id = ? AND read_at IS NULL',
      [carolId],
    );
    assert.equal(Number(unread?.n), 1, 'Carol has received one unread message');
    assert.deepEqual(await c.ack('get_unread_count', { userId: bob.user._id }), { count: 1 });
    const restCount = await http(server.url, 'GET', `/api/messages/unread-count?userId=${bob.user._id}`, {
      token: carol.token,
    });
    assert.deepEqual(restCount.body, { count: 1 });
  });

  it('ignores spoofed sender, read state, id, time and names on send_message and POST /api/messages', async () => {
    const { alice, bob, carol, a, b, c } = t;
    const victim = await t.send(alice, bob, 'an existing message');
    const bobUnread = await t.unread(bob);
    const spoof = {
      receiverId: bob.user._id,
      senderId: alice.user._id,
      read: true,
      readAt: '2001-01-01T00:00:00.000Z',
      _id: victim._id,
      id: victim._id,
      sentAt: '2001-01-01T00:00:00.000Z',
      senderName: 'Alice A',
      receiverName: 'Mallory',
    };
    const started = Date.now();
    const viaSocket = await c.ack('send_message', { ...spoof, content: 'spoofed via socket' });
    const viaRest = await http(t.server.url, 'POST', '/api/messages', {
      token: carol.token,
      body: { ...spoof, content: 'spoofed via rest' },
    });
    assert.equal(viaRest.status, 201);
    const sent: WireMessage[] = [viaSocket.message, viaRest.body.message];

    for (const [m, content] of sent.map(
      (x, i) => [x, ['spoofed via socket', 'spoofed via rest'][i]] as const,
    )) {
      assert.deepEqual(Object.keys(m).sort(), MESSAGE_KEYS);
      assert.equal(m.conversationId, sent[0]?.conversationId, "Carol and Bob's conversation");
      assert.deepEqual(
        { ...m, _id: '', sentAt: '', conversationId: '' },
        {
          _id: '',
          sentAt: '',
          conversationId: '',
          content,
          read: false,
          senderId: carol.user._id,
          senderName: 'Carol C',
          receiverId: bob.user._id,
          receiverName: 'Bob B',
        },
      );
      assert.ok(Number(m._id) > Number(victim._id), 'a fresh server id');
      assert.ok(Math.abs(Date.parse(m.sentAt) - started) < 10_000, 'sentAt is the server time');
      assert.deepEqual(await t.row(m._id), {
        id: m._id,
        sender: carol.user._id,
        receiver: bob.user._id,
        readAt: null,
        sentAt: Date.parse(m.sentAt),
        content,
      });
      assert.deepEqual(await c.next('message_sent', byId(m._id)), { success: true, message: m });
      assert.deepEqual(await b.next('receive_message', byId(m._id)), m);
      assert.deepEqual((await t.history(bob, carol)).find(byId(m._id)), m);
      assert.deepEqual((await t.history(carol, bob)).find(byId(m._id)), m);
    }
    await t.flush(a, b, c);
    for (const m of sent) t.noEvents(['message_sent', 'receive_message'], m._id, [a]);
    for (const event of ['message_sent', 'receive_message', 'message_notification']) {
      const told = a.all(event).filter((x) => JSON.stringify(x).includes('spoofed'));
      assert.deepEqual(told, [], `Alice got ${event} about the spoofed messages`);
    }
    assert.deepEqual(await t.row(victim._id), {
      id: victim._id,
      sender: alice.user._id,
      receiver: bob.user._id,
      readAt: null,
      sentAt: Date.parse(victim.sentAt),
      content: 'an existing message',
    });
    assert.ok(!(await t.history(alice, bob)).some((m) => m.content.startsWith('spoofed')));
    assert.equal(await t.unread(bob), bobUnread + 2, 'both arrive unread');
  });

  it("keeps clientMessageId per sender: another user's id returns no one else's message", async () => {
    const { bob, carol, a, c } = t;
    const key = `shared-${Date.now()}`;
    const mine = await a.ack('send_message', {
      receiverId: bob.user._id,
      content: 'alice keyed',
      clientMessageId: key,
    });
    const theirs = await c.ack('send_message', {
      receiverId: bob.user._id,
      content: 'carol keyed',
      clientMessageId: key,
    });
    assert.equal(theirs.success, true);
    assert.notEqual(theirs.message._id, mine.message._id);
    assert.equal(theirs.message.senderId, carol.user._id);
    assert.equal(theirs.message.content, 'carol keyed');
    assert.equal((await t.row(theirs.message._id))?.sender, carol.user._id);
  });
});
