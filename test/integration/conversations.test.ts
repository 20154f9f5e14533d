import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WireConversation, WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

type Page = { conversations: WireConversation[]; nextCursor: string | null };

describe('conversations: the inbox, open_direct, read cursors, paging by id', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const connect = async (user: Registered) => {
    const client = await connectClient(server.url, user.token);
    clients.push(client);
    return client;
  };
  const rest = (user: Registered, method: string, path: string, body?: unknown) =>
    http(server.url, method, path, { token: user.token, ...(body === undefined ? {} : { body }) });
  const send = async (from: TestClient, payload: Record<string, unknown>): Promise<WireMessage> => {
    const ack = await from.ack('send_message', payload);
    assert.equal(ack.success, true, JSON.stringify(ack));
    return ack.message;
  };

  before(async () => {
    server = await startServer();
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(() => server.close());

  it('lists conversations newest activity first, with last message, members and my unread count', async () => {
    const [me, ann, ben, cy] = await Promise.all([
      registerUser(server.url, { name: 'Me Inbox' }),
      registerUser(server.url, { name: 'Ann' }),
      registerUser(server.url, { name: 'Ben' }),
      registerUser(server.url, { name: 'Cy' }),
    ]);
    const [mine, a, b, c] = await Promise.all([connect(me), connect(ann), connect(ben), connect(cy)]);
    assert.deepEqual(await mine.ack('get_conversations'), { conversations: [], nextCursor: null });

    await send(a, { receiverId: me.user._id, content: 'from ann' });
    await send(b, { receiverId: me.user._id, content: 'from ben 1' });
    await send(b, { receiverId: me.user._id, content: 'from ben 2' });
    await send(c, { receiverId: me.user._id, content: 'from cy' });
    await send(mine, { receiverId: ann.user._id, content: 'reply to ann' });

    const page: Page = await mine.ack('get_conversations', {});
    const otherOf = (conv: WireConversation) => conv.members.find((m) => m._id !== me.user._id)?.name;
    assert.deepEqual(page.conversations.map(otherOf), ['Ann', 'Cy', 'Ben']);
    assert.deepEqual(
      page.conversations.map((conv) => [conv.lastMessage?.content, conv.unreadCount]),
      [
        ['reply to ann', 1],
        ['from cy', 1],
        ['from ben 2', 2],
      ],
    );
    const first = page.conversations[0] as WireConversation;
    assert.deepEqual(Object.keys(first).sort(), [
      '_id',
      'createdAt',
      'lastActivityAt',
      'lastMessage',
      'lastReadMessageId',
      'memberCount',
      'members',
      'muted',
      'title',
      'type',
      'unreadCount',
    ]);
    assert.deepEqual([first.type, first.title, first.memberCount, first.muted], ['direct', null, 2, false]);
    for (const m of first.members) {
      assert.deepEqual(Object.keys(m).sort(), ['_id', 'joinedAt', 'name', 'role', 'username']);
      assert.equal(m.role, 'member');
    }
    assert.equal(first.lastMessage?.conversationId, first._id);

    // The same over REST, and through the `conversations` reply event.
    const viaRest = await rest(me, 'GET', '/api/conversations');
    assert.equal(viaRest.status, 200);
    assert.deepEqual(viaRest.body, page);
    // Every answer also came as the `conversations` event (the empty one first).
    assert.deepEqual(await mine.next('conversations'), { conversations: [], nextCursor: null });
    assert.deepEqual(await mine.next('conversations'), page);

    // Keyset pages: limit 2, then the cursor.
    const one: Page = await mine.ack('get_conversations', { limit: 2 });
    assert.equal(one.conversations.length, 2);
    assert.ok(one.nextCursor);
    const two = await rest(
      me,
      'GET',
      `/api/conversations?limit=2&cursor=${encodeURIComponent(one.nextCursor)}`,
    );
    assert.deepEqual(
      [...one.conversations, ...two.body.conversations].map((x: WireConversation) => x._id),
      page.conversations.map((x) => x._id),
    );
    assert.equal(two.body.nextCursor, null);

    // The unread total is the sum of the conversations' counts.
    assert.deepEqual(await mine.ack('get_unread_count'), { count: 4 });
  });

  it('opens a direct conversation once per pair: 201 then 200, the same id from both sides', async () => {
    const [ada, bo] = await Promise.all([registerUser(server.url), registerUser(server.url)]);
    const created = await rest(ada, 'POST', '/api/conversations', { type: 'direct', userId: bo.user._id });
    assert.equal(created.status, 201);
    const again = await rest(ada, 'POST', '/api/conversations', { type: 'direct', userId: bo.user._id });
    assert.equal(again.status, 200);
    const boSocket = await connect(bo);
    const fromBo = await boSocket.ack('open_direct', { userId: ada.user._id });
    const id = created.body.conversation._id;
    assert.deepEqual([again.body.conversation._id, fromBo.conversation._id], [id, id]);
    assert.equal(created.body.conversation.lastMessage, null);
    assert.equal(created.body.conversation.unreadCount, 0);
    // Until someone writes in it, it is listed only for whoever opened it.
    const inboxOf = async (user: Registered) =>
      (await rest(user, 'GET', '/api/conversations')).body.conversations.map((c: WireConversation) => c._id);
    assert.deepEqual(await inboxOf(ada), [id]);
    assert.deepEqual(await inboxOf(bo), []);
    await boSocket.ack('send_message', { conversationId: id, content: 'now it is listed' });
    assert.deepEqual(await inboxOf(ada), [id]);
    assert.deepEqual(await inboxOf(bo), [id]);
    // Concurrent opens of a new pair agree on one conversation.
    const cy = await registerUser(server.url);
    const opens = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2
          ? rest(ada, 'POST', '/api/conversations', { type: 'direct', userId: cy.user._id })
          : rest(cy, 'POST', '/api/conversations', { type: 'direct', userId: ada.user._id }),
      ),
    );
    assert.equal(new Set(opens.map((o) => o.body.conversation._id)).size, 1);
    assert.equal(opens.filter((o) => o.status === 201).length, 1);
    // Refusals.
    const cases: Array<[unknown, number, string]> = [
      [{ type: 'direct', userId: ada.user._id }, 400, 'userId must be another user'],
      [{ type: 'direct', userId: '999999999' }, 404, 'User not found'],
      [{ type: 'direct' }, 400, 'userId is required'],
      [{ type: 'channel', userId: bo.user._id }, 400, "type must be 'direct' or 'group'"],
      [[], 400, 'request body must be an object'],
    ];
    for (const [body, status, message] of cases) {
      const res = await rest(ada, 'POST', '/api/conversations', body);
      assert.deepEqual([res.status, res.body], [status, { message }], JSON.stringify(body));
    }
  });

  it('answers Conversation not found to non-members and for unknown ids, on every route and event', async () => {
    const [ann, ben, eve] = await Promise.all([
      registerUser(server.url),
      registerUser(server.url),
      registerUser(server.url),
    ]);
    const a = await connect(ann);
    const b = await connect(ben);
    const e = await connect(eve);
    const m = await send(a, { receiverId: ben.user._id, content: 'private' });
    const id = m.conversationId;
    const notFound = { success: false, message: 'Conversation not found' };
    for (const conversationId of [id, '999999999', 'nope']) {
      assert.deepEqual(await e.ack('get_conversation', { conversationId }), notFound);
      assert.deepEqual(await e.ack('mark_conversation_read', { conversationId }), notFound);
      assert.deepEqual(await e.ack('send_message', { conversationId, content: 'intrude' }), notFound);
      assert.deepEqual(await e.ack('typing_start', { conversationId }), notFound);
      assert.deepEqual(await e.ack('get_message_history', { conversationId }), notFound);
      for (const [method, path] of [
        ['GET', `/api/conversations/${conversationId}`],
        ['GET', `/api/conversations/${conversationId}/messages`],
        ['POST', `/api/conversations/${conversationId}/read`],
      ] as const) {
        const res = await rest(eve, method, path);
        assert.deepEqual([res.status, res.body], [404, { message: 'Conversation not found' }], path);
      }
      const posted = await rest(eve, 'POST', '/api/messages', { conversationId, content: 'intrude' });
      assert.deepEqual([posted.status, posted.body], [404, { message: 'Conversation not found' }]);
    }
    await sleep(200);
    // Nothing reached the members, and nothing was stored.
    for (const member of [a, b]) {
      assert.equal(member.all('typing_indicator').length, 0);
      assert.equal(member.all('conversation_read').length, 0);
      assert.equal(
        member.all('receive_message').filter((x: WireMessage) => x.content === 'intrude').length,
        0,
      );
    }
    const history = await a.ack('get_message_history', { conversationId: id });
    assert.deepEqual(
      history.messages.map((x: WireMessage) => x.content),
      ['private'],
    );
  });

  it('sends by conversationId to the other member, exactly one of receiverId and conversationId', async () => {
    const [ann, ben] = await Promise.all([registerUser(server.url), registerUser(server.url)]);
    const [a, b1, b2] = await Promise.all([connect(ann), connect(ben), connect(ben)]);
    const { conversation } = await a.ack('open_direct', { userId: ben.user._id });
    const sent = await send(a, { conversationId: conversation._id, content: 'by conversation' });
    assert.equal(sent.conversationId, conversation._id);
    assert.deepEqual([sent.receiverId, sent.receiverName], [ben.user._id, ben.user.name]);
    for (const tab of [b1, b2]) {
      assert.deepEqual(await tab.next('receive_message'), sent);
      const note = await tab.next('message_notification');
      assert.equal(note.conversationId, conversation._id);
      assert.equal(note.conversationTitle, undefined);
    }
    const both = await a.ack('send_message', {
      receiverId: ben.user._id,
      conversationId: conversation._id,
      content: 'x',
    });
    assert.deepEqual(both, { success: false, message: 'Provide receiverId or conversationId, not both' });
    assert.deepEqual(await a.ack('send_message', { content: 'x' }), {
      success: false,
      message: 'receiverId is required',
    });
    // null means "not this one", as an absent field does.
    const viaNull = await send(a, {
      receiverId: null,
      conversationId: conversation._id,
      content: 'null receiver',
    });
    assert.equal(viaNull.conversationId, conversation._id);
    const page = await a.ack('get_message_history', {
      conversationId: conversation._id,
      before: null,
      limit: 1,
    });
    assert.deepEqual(
      page.messages.map((m: WireMessage) => m.content),
      ['null receiver'],
    );
    const read = await b1.ack('mark_conversation_read', {
      conversationId: conversation._id,
      messageId: null,
    });
    assert.equal(read.lastReadMessageId, viaNull._id);
    assert.deepEqual(await a.ack('send_message', { conversationId: 7, content: 'x' }), {
      success: false,
      message: 'conversationId must be a string',
    });
  });

  it('moves read cursors forward only: conversation_read to every socket, counts and flags agree', async () => {
    const [ann, ben] = await Promise.all([registerUser(server.url), registerUser(server.url)]);
    const [a, b1, b2] = await Promise.all([connect(ann), connect(ben), connect(ben)]);
    const m1 = await send(a, { receiverId: ben.user._id, content: 'one' });
    const m2 = await send(a, { receiverId: ben.user._id, content: 'two' });
    const m3 = await send(a, { receiverId: ben.user._id, content: 'three' });
    const conversationId = m1.conversationId;
    assert.deepEqual(await b1.ack('get_unread_count'), { count: 3 });

    const ack = await b1.ack('mark_conversation_read', { conversationId, messageId: m2._id });
    assert.deepEqual(ack, { success: true, conversationId, lastReadMessageId: m2._id, unreadCount: 1 });
    for (const tab of [b1, b2]) {
      const own = await tab.next('conversation_read');
      assert.deepEqual(
        { ...own, readAt: 'checked' },
        {
          conversationId,
          userId: ben.user._id,
          lastReadMessageId: m2._id,
          readAt: 'checked',
          unreadCount: 1,
          success: true,
        },
      );
      assert.equal(new Date(own.readAt).toISOString(), own.readAt);
    }
    const told = await a.next('conversation_read');
    assert.deepEqual(Object.keys(told).sort(), ['conversationId', 'lastReadMessageId', 'readAt', 'userId']);
    assert.deepEqual([told.userId, told.lastReadMessageId], [ben.user._id, m2._id]);

    // History's read flags and the counts agree with the cursor.
    const history = await b1.ack('get_message_history', { conversationId });
    assert.deepEqual(
      history.messages.map((x: WireMessage) => [x._id, x.read]),
      [
        [m1._id, true],
        [m2._id, true],
        [m3._id, false],
      ],
    );
    assert.deepEqual(await b1.ack('get_unread_count'), { count: 1 });
    const [view] = (await b1.ack('get_conversations')).conversations;
    assert.deepEqual([view.unreadCount, view.lastReadMessageId], [1, m2._id]);

    // Backwards changes nothing: the members are told the cursor as it stays.
    const back = await b1.ack('mark_conversation_read', { conversationId, messageId: m1._id });
    assert.deepEqual(back, { success: true, conversationId, lastReadMessageId: m2._id, unreadCount: 1 });
    const unchanged = await a.next('conversation_read');
    assert.deepEqual([unchanged.lastReadMessageId, unchanged.readAt], [m2._id, told.readAt]);

    // Over REST with no body: up to the newest.
    const viaRest = await rest(ben, 'POST', `/api/conversations/${conversationId}/read`);
    assert.deepEqual(viaRest.body, {
      success: true,
      conversationId,
      lastReadMessageId: m3._id,
      unreadCount: 0,
    });
    assert.deepEqual(await b2.ack('get_unread_count'), { count: 0 });
    await a.next('conversation_read', (p) => p.lastReadMessageId === m3._id);

    // A message of another conversation is refused.
    const cy = await registerUser(server.url);
    const elsewhere = await send(a, { receiverId: cy.user._id, content: 'elsewhere' });
    assert.deepEqual(await b1.ack('mark_conversation_read', { conversationId, messageId: elsewhere._id }), {
      success: false,
      message: 'Message not found',
    });
    // The seed's single-message read still agrees with the cursor.
    const m4 = await send(a, { receiverId: ben.user._id, content: 'four' });
    await b1.ack('mark_message_read', { messageId: m4._id });
    assert.deepEqual(await b1.ack('get_unread_count'), { count: 0 });
    const [after] = (await b1.ack('get_conversations')).conversations;
    assert.equal(after.unreadCount, 0);
  });

  it('pages history by message id, before and after, on the socket and over REST', async () => {
    const [ann, ben] = await Promise.all([registerUser(server.url), registerUser(server.url)]);
    const a = await connect(ann);
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push((await send(a, { receiverId: ben.user._id, content: `p${i}` }))._id);
    const conversationId = (await a.ack('open_direct', { userId: ben.user._id })).conversation._id;
    const contents = (h: { messages: WireMessage[] }) => h.messages.map((m) => m.content);

    const newest = await a.ack('get_message_history', { conversationId, limit: 4 });
    assert.deepEqual(contents(newest), ['p5', 'p6', 'p7', 'p8']);
    assert.equal(newest.hasMore, true);
    const older = await a.ack('get_message_history', { conversationId, before: ids[5], limit: 4 });
    assert.deepEqual([contents(older), older.hasMore], [['p1', 'p2', 'p3', 'p4'], true]);
    const oldest = await a.ack('get_message_history', { conversationId, before: ids[1], limit: 4 });
    assert.deepEqual([contents(oldest), oldest.hasMore], [['p0'], false]);
    const newer = await a.ack('get_message_history', { conversationId, after: ids[2], limit: 4 });
    assert.deepEqual([contents(newer), newer.hasMore], [['p3', 'p4', 'p5', 'p6'], true]);
    const last = await a.ack('get_message_history', { conversationId, after: ids[6], limit: 4 });
    assert.deepEqual([contents(last), last.hasMore], [['p7', 'p8'], false]);

    const viaRest = await http(
      server.url,
      'GET',
      `/api/conversations/${conversationId}/messages?after=${ids[2]}&limit=4`,
      { token: ann.token },
    );
    assert.deepEqual(viaRest.body, newer);
    // The seed's form by user takes before/after too.
    const seedForm = await a.ack('get_message_history', {
      otherUserId: ben.user._id,
      before: ids[5],
      limit: 4,
    });
    assert.deepEqual(contents(seedForm), ['p1', 'p2', 'p3', 'p4']);
    assert.equal(seedForm.conversationId, conversationId);
    // Refusals name the problem.
    for (const [payload, message] of [
      [{ conversationId, before: ids[5], after: ids[1] }, 'Provide before or after, not both'],
      [{ conversationId, before: 'abc' }, 'before must be a message id (a string of digits)'],
      [{ conversationId, page: 2, after: ids[1] }, 'page cannot be combined with before or after'],
      [{ otherUserId: ben.user._id, conversationId }, 'Provide otherUserId or conversationId, not both'],
      [{}, 'otherUserId is required'],
    ] as const) {
      assert.deepEqual(await a.ack('get_message_history', payload), { success: false, message });
    }
  });

  it('typing in a conversation reaches the other member with its conversationId', async () => {
    const [ann, ben] = await Promise.all([registerUser(server.url), registerUser(server.url)]);
    const [a, b] = await Promise.all([connect(ann), connect(ben)]);
    const { conversation } = await a.ack('open_direct', { userId: ben.user._id });
    assert.deepEqual(await a.ack('typing_start', { conversationId: conversation._id }), { success: true });
    assert.deepEqual(await b.next('typing_indicator'), {
      userId: ann.user._id,
      userName: ann.user.name,
      isTyping: true,
      conversationId: conversation._id,
    });
    await a.ack('typing_stop', { receiverId: ben.user._id });
    assert.equal((await b.next('typing_indicator')).conversationId, conversation._id);
  });

  it('pages the members over REST, for members only', async () => {
    const [ann, ben, eve] = await Promise.all([
      registerUser(server.url, { name: 'Ann Members' }),
      registerUser(server.url, { name: 'Ben Members' }),
      registerUser(server.url),
    ]);
    const opened = await rest(ann, 'POST', '/api/conversations', { type: 'direct', userId: ben.user._id });
    const id = opened.body.conversation._id;
    const all = await rest(ben, 'GET', `/api/conversations/${id}/members`);
    assert.equal(all.status, 200);
    assert.equal(all.body.nextCursor, null);
    assert.deepEqual(all.body.members, opened.body.conversation.members);
    const one = await rest(ben, 'GET', `/api/conversations/${id}/members?limit=1`);
    assert.equal(one.body.members.length, 1);
    const two = await rest(
      ben,
      'GET',
      `/api/conversations/${id}/members?limit=1&cursor=${encodeURIComponent(one.body.nextCursor)}`,
    );
    assert.deepEqual([...one.body.members, ...two.body.members], all.body.members);
    assert.equal(two.body.nextCursor, null);
    const refused = await rest(eve, 'GET', `/api/conversations/${id}/members`);
    assert.deepEqual([refused.status, refused.body], [404, { message: 'Conversation not found' }]);
    const bad = await rest(ann, 'GET', `/api/conversations/${id}/members?cursor=x`);
    assert.deepEqual([bad.status, bad.body], [400, { message: 'cursor is not valid' }]);
  });

  it('refuses a malformed inbox request with the field named', async () => {
    const ann = await registerUser(server.url);
    const a = await connect(ann);
    for (const [payload, message] of [
      [{ limit: 0 }, 'limit must be a positive integer'],
      [{ cursor: 'zzz' }, 'cursor is not valid'],
      [{ cursor: 5 }, 'cursor must be a string'],
      ['x', 'get_conversations payload must be an object'],
    ] as const) {
      assert.deepEqual(await a.ack('get_conversations', payload), { success: false, message });
    }
    const res = await http(server.url, 'GET', '/api/conversations?cursor=1.2.3', { token: ann.token });
    assert.deepEqual([res.status, res.body], [400, { message: 'cursor is not valid' }]);
    const big = await a.ack('get_conversations', { limit: 1000 });
    assert.deepEqual(big, { conversations: [], nextCursor: null });
    const noToken = await http(server.url, 'GET', '/api/conversations');
    assert.equal(noToken.status, 401);
  });
});
