import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WireConversation, WireMessage } from '../../src/protocol/outputs.js';
import { GroupWorld, nothingMore } from '../support/groups.js';
import { startServer, type TestServer } from '../support/server.js';
import { expectRejected } from '../support/socket.js';

describe('groups: creation, messages, typing, cursors, membership and roles', () => {
  let server: TestServer;
  const world = new GroupWorld(() => server.url);

  before(async () => {
    server = await startServer();
  });
  afterEach(() => world.closeAll());
  after(() => server.close());

  it('creates a group (socket and REST): the creator owns it; conversation_updated once per socket of every member', async () => {
    const [owner, ann, ben] = await world.users(3);
    const [o, a1, a2, b] = await Promise.all([
      world.connect(owner),
      world.connect(ann),
      world.connect(ann),
      world.connect(ben),
    ]);
    const ack = await o.ack('create_group', {
      title: '  Launch  ',
      memberIds: [ann.user._id, ben.user._id, ann.user._id, owner.user._id],
    });
    const group: WireConversation = ack.conversation;
    assert.deepEqual([group.type, group.title, group.memberCount], ['group', 'Launch', 3]);
    assert.deepEqual(
      group.members.map((m) => [m._id, m.role]).sort(),
      [
        [owner.user._id, 'owner'],
        [ann.user._id, 'member'],
        [ben.user._id, 'member'],
      ].sort(),
    );
    assert.deepEqual(await o.next('conversation'), ack);
    for (const client of [o, a1, a2, b]) {
      const updated = await client.next('conversation_updated');
      assert.equal(updated.conversation._id, group._id);
      assert.equal(updated.change.type, 'created');
      assert.equal(updated.change.by, owner.user._id);
      assert.deepEqual(updated.conversation.unreadCount, 0);
    }
    await nothingMore(a1, 'conversation_updated', () => true, 100);
    assert.equal(a1.all('conversation_updated').length, 1);

    // REST: 201, and it is in the members' inboxes.
    const viaRest = await world.group(ann, [ben], 'From REST');
    assert.equal(viaRest.members.find((m) => m._id === ann.user._id)?.role, 'owner');
    const inbox = await world.rest(ben, 'GET', '/api/conversations');
    assert.ok(inbox.body.conversations.some((c: WireConversation) => c._id === viaRest._id));
  });

  it('fans a message, typing and read cursors out to every other member, once per socket; the sender gets message_sent', async () => {
    const [owner, ann, ben] = await world.users(3);
    const group = await world.group(owner, [ann, ben], 'Fan-out');
    const [o, a1, a2, b] = await Promise.all([
      world.connect(owner),
      world.connect(ann),
      world.connect(ann),
      world.connect(ben),
    ]);
    const sent = await o.ack('send_message', { conversationId: group._id, content: 'hello all' });
    const message: WireMessage = sent.message;
    assert.deepEqual([message.receiverId, message.receiverName], [null, null]);
    for (const client of [a1, a2, b]) {
      assert.equal((await client.next('receive_message')).content, 'hello all');
      const note = await client.next('message_notification');
      assert.deepEqual([note.conversationId, note.conversationTitle], [group._id, 'Fan-out']);
    }
    assert.equal((await o.next('message_sent')).message._id, message._id);

    await a1.ack('typing_start', { conversationId: group._id });
    for (const client of [o, b]) {
      const typing = await client.next('typing_indicator');
      assert.deepEqual(
        [typing.userId, typing.isTyping, typing.conversationId],
        [ann.user._id, true, group._id],
      );
    }

    const read = await b.ack('mark_conversation_read', { conversationId: group._id });
    assert.deepEqual([read.lastReadMessageId, read.unreadCount], [message._id, 0]);
    for (const client of [o, a1, a2]) {
      const cursor = await client.next('conversation_read');
      assert.deepEqual([cursor.userId, cursor.lastReadMessageId], [ben.user._id, message._id]);
      assert.equal(cursor.unreadCount, undefined);
    }
    await nothingMore(o, 'receive_message');
    for (const client of [a1, a2, b]) {
      assert.equal(client.all('receive_message').length, 1);
      assert.equal(client.all('typing_indicator').length, 0 + (client === b ? 1 : 0));
    }
    // Each member's own unread count.
    assert.deepEqual(await a2.ack('get_unread_count'), { count: 1 });
    assert.deepEqual(await b.ack('get_unread_count'), { count: 0 });
    assert.deepEqual(await o.ack('get_unread_count'), { count: 0 });
  });

  it('mark_message_read in a group moves the reader’s cursor; history’s `read` is the viewer’s own; receipts for the sender', async () => {
    const [owner, ann, ben] = await world.users(3);
    const group = await world.group(owner, [ann, ben]);
    const [o, a] = await Promise.all([world.connect(owner), world.connect(ann)]);
    const first = (await o.ack('send_message', { conversationId: group._id, content: 'one' })).message;
    const second = (await o.ack('send_message', { conversationId: group._id, content: 'two' })).message;

    const confirmed = await a.ack('mark_message_read', { messageId: first._id });
    assert.equal(confirmed.success, true);
    assert.deepEqual([confirmed.message._id, confirmed.message.read], [first._id, true]);
    assert.deepEqual((await a.next('message_read_confirmed')).message._id, first._id);
    const cursor = await o.next('conversation_read');
    assert.deepEqual([cursor.userId, cursor.lastReadMessageId], [ann.user._id, first._id]);
    await nothingMore(o, 'message_read');

    const history = await a.ack('get_message_history', { conversationId: group._id });
    assert.deepEqual(
      history.messages.map((m: WireMessage) => [m.content, m.read]),
      [
        ['one', true],
        ['two', false],
      ],
    );
    assert.equal((await world.rest(ann, 'GET', '/api/messages/unread-count')).body.count, 1);
    // sync agrees with history: each member's own read state (the sender has read what they sent).
    const synced = await a.ack('sync', { lastMessageId: '0' });
    assert.deepEqual(
      synced.messages.map((m: WireMessage) => [m.content, m.read]),
      [
        ['one', true],
        ['two', false],
      ],
    );
    const ownSync = await world.rest(owner, 'GET', '/api/messages/sync?lastMessageId=0');
    assert.deepEqual(
      ownSync.body.messages.map((m: WireMessage) => m.read),
      [true, true],
    );

    const receipts = await world.rest(owner, 'GET', `/api/messages/${first._id}/receipts`);
    assert.equal(receipts.status, 200);
    assert.equal(receipts.body.messageId, first._id);
    assert.deepEqual(
      receipts.body.readBy.map((r: { userId: string }) => r.userId),
      [ann.user._id],
    );
    assert.deepEqual(
      receipts.body.deliveredTo.map((r: { userId: string }) => r.userId),
      [ann.user._id],
    );
    const none = await world.rest(owner, 'GET', `/api/messages/${second._id}/receipts`);
    assert.deepEqual([none.body.readBy, none.body.deliveredTo], [[], []]);
    // Only the sender: another member is denied, a stranger learns nothing.
    const [stranger] = await world.users(1);
    const denied = await world.rest(ann, 'GET', `/api/messages/${first._id}/receipts`);
    assert.deepEqual([denied.status, denied.body.message], [403, 'Access denied']);
    const unknown = await world.rest(stranger, 'GET', `/api/messages/${first._id}/receipts`);
    assert.deepEqual([unknown.status, unknown.body.message], [404, 'Message not found']);
    const missing = await world.rest(owner, 'GET', '/api/messages/999999999/receipts');
    assert.deepEqual([missing.status, missing.body.message], [404, 'Message not found']);
    const strangerRead = await world.rest(stranger, 'PATCH', `/api/messages/${first._id}/read`);
    assert.deepEqual([strangerRead.status, strangerRead.body.message], [404, 'Message not found']);
  });

  it('a member added while connected sees the history (read up to the newest) and gets the next message on every tab', async () => {
    const [owner, ann, cy] = await world.users(3);
    const group = await world.group(owner, [ann]);
    const o = await world.connect(owner);
    await o.ack('send_message', { conversationId: group._id, content: 'before cy' });
    const [c1, c2] = await Promise.all([world.connect(cy), world.connect(cy)]);
    const added = await o.ack('add_members', { conversationId: group._id, userIds: [cy.user._id] });
    assert.equal(added.success, true);
    assert.equal(added.conversation.memberCount, 3);
    for (const client of [c1, c2]) {
      const updated = await client.next('conversation_updated');
      assert.deepEqual(updated.change, { type: 'members_added', by: owner.user._id, userIds: [cy.user._id] });
    }
    await o.ack('send_message', { conversationId: group._id, content: 'welcome cy' });
    for (const client of [c1, c2]) assert.equal((await client.next('receive_message')).content, 'welcome cy');

    const history = await c1.ack('get_message_history', { conversationId: group._id });
    assert.deepEqual(
      history.messages.map((m: WireMessage) => [m.content, m.read]),
      [
        ['before cy', true],
        ['welcome cy', false],
      ],
    );
    const view = (await c1.ack('get_conversation', { conversationId: group._id })).conversation;
    assert.equal(view.unreadCount, 1);
    // Adding again changes nothing and announces nothing.
    const again = await world.rest(owner, 'POST', `/api/conversations/${group._id}/members`, {
      userIds: [cy.user._id],
    });
    assert.deepEqual([again.status, again.body.conversation.memberCount], [200, 3]);
    await nothingMore(c1, 'conversation_updated', () => true, 200);
    assert.equal(c1.all('conversation_updated').length, 1);
  });

  it('a removed member is told once, then receives nothing more from the group and is answered Conversation not found', async () => {
    const [owner, ann, ben] = await world.users(3);
    const group = await world.group(owner, [ann, ben]);
    const [o, a, b1, b2] = await Promise.all([
      world.connect(owner),
      world.connect(ann),
      world.connect(ben),
      world.connect(ben),
    ]);
    const message = (await o.ack('send_message', { conversationId: group._id, content: 'before' })).message;
    await b1.next('receive_message');
    await b2.next('receive_message');

    const removed = await o.ack('remove_member', { conversationId: group._id, userId: ben.user._id });
    assert.equal(removed.success, true);
    assert.equal(removed.conversation.memberCount, 2);
    for (const client of [o, a, b1, b2]) {
      const updated = await client.next('conversation_updated');
      assert.deepEqual(updated.change, {
        type: 'member_removed',
        by: owner.user._id,
        userIds: [ben.user._id],
      });
      assert.ok(!updated.conversation.members.some((m: { _id: string }) => m._id === ben.user._id));
    }
    // Right after the acknowledgement: a message, typing, a cursor move.
    await o.ack('send_message', { conversationId: group._id, content: 'after' });
    await o.ack('typing_start', { conversationId: group._id });
    await a.ack('mark_conversation_read', { conversationId: group._id });
    assert.equal((await a.next('receive_message', (m) => m.content === 'after')).content, 'after');
    for (const client of [b1, b2]) {
      await nothingMore(client, 'receive_message', (m) => m.content === 'after');
      await nothingMore(client, 'typing_indicator', () => true, 0);
      await nothingMore(client, 'conversation_read', () => true, 0);
      await nothingMore(client, 'message_notification', (n) => n.message === 'after', 0);
      assert.equal(client.all('conversation_updated').length, 1);
    }
    const gone = 'Conversation not found';
    await expectRejected(b1, 'send_message', { conversationId: group._id, content: 'x' }, gone);
    await expectRejected(b1, 'get_conversation', { conversationId: group._id }, gone);
    await expectRejected(b1, 'get_message_history', { conversationId: group._id }, gone);
    await expectRejected(b1, 'typing_start', { conversationId: group._id }, gone);
    await expectRejected(b1, 'mark_conversation_read', { conversationId: group._id }, gone);
    await expectRejected(b1, 'add_members', { conversationId: group._id, userIds: [ben.user._id] }, gone);
    await expectRejected(b1, 'mark_message_read', { messageId: message._id }, 'Message not found');
    for (const path of ['', '/messages', '/members']) {
      const res = await world.rest(ben, 'GET', `/api/conversations/${group._id}${path}`);
      assert.deepEqual([res.status, res.body.message], [404, gone], path);
    }
    const inbox = await world.rest(ben, 'GET', '/api/conversations');
    assert.ok(!inbox.body.conversations.some((c: WireConversation) => c._id === group._id));
    // Re-adding starts afresh: a member again, unread 0.
    await o.ack('add_members', { conversationId: group._id, userIds: [ben.user._id] });
    const back = await world.rest(ben, 'GET', `/api/conversations/${group._id}`);
    assert.deepEqual([back.status, back.body.conversation.unreadCount], [200, 0]);
  });

  it('hands ownership over: explicitly (old owner becomes admin), and when the owner leaves (longest-standing admin, else member)', async () => {
    const [owner, ann, ben, cy] = await world.users(4);
    const group = await world.group(owner, [ann, ben, cy]);
    const o = await world.connect(owner);
    const roleOf = (c: WireConversation, id: string) => c.members.find((m) => m._id === id)?.role;

    // Ben becomes admin, then Cy.
    await o.ack('set_member_role', { conversationId: group._id, userId: ben.user._id, role: 'admin' });
    await o.ack('set_member_role', { conversationId: group._id, userId: cy.user._id, role: 'admin' });
    const handed = await o.ack('set_member_role', {
      conversationId: group._id,
      userId: ann.user._id,
      role: 'owner',
    });
    assert.equal(roleOf(handed.conversation, ann.user._id), 'owner');
    assert.equal(roleOf(handed.conversation, owner.user._id), 'admin');
    const updated = (await o.next('conversation_updated', (u) => u.change.userIds?.includes(ann.user._id)))
      .change;
    assert.deepEqual(updated, {
      type: 'role_changed',
      by: owner.user._id,
      userIds: [ann.user._id, owner.user._id],
    });
    // The old owner may no longer set roles.
    await expectRejected(
      o,
      'set_member_role',
      { conversationId: group._id, userId: ben.user._id, role: 'member' },
      'Access denied',
    );

    // Ann (owner) leaves: ben and cy are admins since before the old owner became one; ben is first.
    // All joined at creation: the tie goes to the smaller id among the admins, then members.
    const left = await world.rest(ann, 'DELETE', `/api/conversations/${group._id}/members/${ann.user._id}`);
    assert.equal(left.status, 200);
    const admins = [owner, ben, cy].map((u) => u.user._id).sort((x, y) => Number(x) - Number(y));
    assert.equal(roleOf(left.body.conversation, admins[0] as string), 'owner');
    const leftEvent = await o.next('conversation_updated', (u) => u.change.type === 'member_left');
    assert.deepEqual(leftEvent.change, { type: 'member_left', by: ann.user._id, userIds: [ann.user._id] });
    // Then the hand-over, as a change of role, with the new owner in the group it carries.
    const takeover = await o.next(
      'conversation_updated',
      (u) => u.change.type === 'role_changed' && u.change.by === ann.user._id,
    );
    assert.deepEqual(takeover.change.userIds, [admins[0]]);
    assert.equal(roleOf(takeover.conversation, admins[0] as string), 'owner');

    // Everyone leaves: the group ends; its last member's leave succeeds, nobody can reach it.
    for (const u of [owner, ben, cy]) {
      const res = await world.rest(u, 'DELETE', `/api/conversations/${group._id}/members/${u.user._id}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const last = await world.rest(cy, 'GET', `/api/conversations/${group._id}`);
    assert.equal(last.status, 404);
  });

  it('refuses changes to a direct conversation, unknown users and a role for a non-member', async () => {
    const [ann, ben] = await world.users(2);
    const a = await world.connect(ann);
    const direct = (await a.ack('open_direct', { userId: ben.user._id })).conversation;
    const two = 'Direct conversations have exactly two members';
    await expectRejected(a, 'update_conversation', { conversationId: direct._id, title: 'x' }, two);
    await expectRejected(a, 'add_members', { conversationId: direct._id, userIds: [ann.user._id] }, two);
    await expectRejected(a, 'remove_member', { conversationId: direct._id, userId: ben.user._id }, two);
    await expectRejected(a, 'remove_member', { conversationId: direct._id, userId: ann.user._id }, two);
    await expectRejected(
      a,
      'set_member_role',
      { conversationId: direct._id, userId: ben.user._id, role: 'admin' },
      two,
    );
    const viaRest = await world.rest(ann, 'PATCH', `/api/conversations/${direct._id}`, { title: 'x' });
    assert.deepEqual([viaRest.status, viaRest.body.message], [400, two]);

    const created = await world.rest(ann, 'POST', '/api/conversations', {
      type: 'group',
      title: 'x',
      memberIds: [ben.user._id, '987654321'],
    });
    assert.deepEqual([created.status, created.body.message], [400, 'Unknown user: 987654321']);
    const group = await world.group(ann, []);
    assert.equal(group.memberCount, 1);
    const add = await world.rest(ann, 'POST', `/api/conversations/${group._id}/members`, {
      userIds: [ben.user._id, 'nope'],
    });
    assert.deepEqual([add.status, add.body.message], [400, 'Unknown user: nope']);
    const role = await world.rest(ann, 'PATCH', `/api/conversations/${group._id}/members/${ben.user._id}`, {
      role: 'admin',
    });
    assert.deepEqual([role.status, role.body.message], [400, `Unknown user: ${ben.user._id}`]);
    // Nothing was stored by the refusals.
    const view = await world.rest(ann, 'GET', `/api/conversations/${group._id}`);
    assert.equal(view.body.conversation.memberCount, 1);
  });

  it('two admins adding the same member at once make one membership', async () => {
    const [owner, ann, ben, cy] = await world.users(4);
    const group = await world.group(owner, [ann, ben]);
    await world.rest(owner, 'PATCH', `/api/conversations/${group._id}/members/${ann.user._id}`, {
      role: 'admin',
    });
    await world.rest(owner, 'PATCH', `/api/conversations/${group._id}/members/${ben.user._id}`, {
      role: 'admin',
    });
    const c = await world.connect(cy);
    const results = await Promise.all(
      [ann, ben, ann, ben].map((admin) =>
        world.rest(admin, 'POST', `/api/conversations/${group._id}/members`, { userIds: [cy.user._id] }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [200, 200, 200, 200],
    );
    const view = await world.rest(owner, 'GET', `/api/conversations/${group._id}`);
    assert.equal(view.body.conversation.memberCount, 4);
    assert.equal(
      view.body.conversation.members.filter((m: { _id: string }) => m._id === cy.user._id).length,
      1,
    );
    const rows = await server.sql<{ n: number | string }>(
      'select count(*) as n from conversation_members where conversation_id = ?',
      [Number(group._id)],
    );
    assert.equal(Number(rows[0]?.n), 4);
    await c.next('conversation_updated');
    await nothingMore(c, 'conversation_updated', () => true, 200);
    assert.equal(c.all('conversation_updated').length, 1);
  });

  it('a member removed while messages are sent gets each one before the removal or never, never after being told', async () => {
    const [owner, ann, ben] = await world.users(3);
    const group = await world.group(owner, [ann, ben]);
    const [o, b] = await Promise.all([world.connect(owner), world.connect(ben)]);
    const order: string[] = [];
    b.socket.on('receive_message', (m: WireMessage) => order.push(`message:${m.content}`));
    b.socket.on('conversation_updated', (u: { change: { type: string } }) => order.push(u.change.type));
    const sends = Array.from({ length: 20 }, (_, i) =>
      o.ack('send_message', { conversationId: group._id, content: `m${i}` }),
    );
    const removal = world
      .rest(ann, 'GET', '/api/conversations')
      .then(() => world.rest(owner, 'DELETE', `/api/conversations/${group._id}/members/${ben.user._id}`));
    await Promise.all([...sends, removal]);
    assert.equal((await removal).status, 200);
    await o.ack('send_message', { conversationId: group._id, content: 'after' });
    await nothingMore(b, 'receive_message', (m) => m.content === 'after');
    const at = order.indexOf('member_removed');
    assert.ok(at >= 0, order.join(', '));
    assert.equal(order.length, at + 1, `nothing after the removal: ${order.join(', ')}`);
  });

  it('validates every input of the new events and routes, storing nothing', async () => {
    const [ann] = await world.users(1);
    const a = await world.connect(ann);
    const group = await world.group(ann, []);
    const cases: Array<[string, unknown, string]> = [
      ['create_group', null, 'create_group payload must be an object'],
      ['create_group', { memberIds: [] }, 'title is required'],
      ['create_group', { title: '   ' }, 'title must not be empty'],
      ['create_group', { title: 'x'.repeat(101) }, 'title must be at most 100 characters'],
      ['create_group', { title: 'ok', memberIds: 'x' }, 'memberIds must be an array of user ids'],
      ['create_group', { title: 'ok', memberIds: [1] }, 'memberIds must contain only user ids (strings)'],
      ['update_conversation', { conversationId: group._id }, 'title is required'],
      ['update_conversation', { title: 'x' }, 'conversationId is required'],
      ['add_members', { conversationId: group._id, userIds: [] }, 'userIds must list at least one user'],
      ['add_members', { conversationId: group._id }, 'userIds is required'],
      ['remove_member', { conversationId: group._id }, 'userId is required'],
      [
        'set_member_role',
        { conversationId: group._id, userId: '1', role: 'boss' },
        "role must be 'owner', 'admin' or 'member'",
      ],
    ];
    for (const [event, payload, message] of cases) await expectRejected(a, event, payload, message);
    const hundred = await a.ack('create_group', { title: '😀'.repeat(100) });
    assert.equal(hundred.conversation.title, '😀'.repeat(100));
    const inbox = await world.rest(ann, 'GET', '/api/conversations');
    assert.equal(inbox.body.conversations.length, 2);
  });
});
