import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startFuzzChat, type ChatModel } from '../support/fuzz-model.js';
import * as F from '../support/fuzz.js';
import { loneSurrogates, twinOf, validUnicode } from '../support/fuzz-unicode.js';
import { http, type Registered } from '../support/http.js';
import type { TestServer } from '../support/server.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';

/**
 * Property-based fuzzing of every client event, and of unknown ones, from one socket. Each emit must get
 * exactly one answer (`error`, or the reply: to the fuzzer, or `typing_indicator` to the receiver) that the
 * oracle allows, and the ack must agree with it. At the end storage, the bystanders' deliveries and every
 * count equal what the accepted emits explain — nothing more.
 */

interface Emit {
  event: string | number;
  args: unknown[];
  ack: boolean;
}
interface Answer {
  who: 'fuzzer' | 'alice' | 'bob';
  event: string;
  payload: any;
}
const FUZZER_ANSWERS = [
  'error',
  'message_sent',
  'message_read_confirmed',
  'message_history',
  'unread_count',
  'conversations',
  'conversation',
  'conversation_read',
];
const REPLY: Record<string, string> = {
  send_message: 'message_sent',
  mark_message_read: 'message_read_confirmed',
  get_message_history: 'message_history',
  get_unread_count: 'unread_count',
  get_conversations: 'conversations',
  get_conversation: 'conversation',
  open_direct: 'conversation',
  mark_conversation_read: 'conversation_read',
};
const WITH_PAYLOAD = [
  'send_message',
  'mark_message_read',
  'typing_start',
  'typing_stop',
  'get_message_history',
  'get_conversation',
  'open_direct',
  'mark_conversation_read',
];
/** Events whose payload may be left out. */
const PAYLOAD_OPTIONAL = ['get_unread_count', 'get_conversations'];
const RESERVED = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];
const isKnown = (event: unknown): event is string =>
  typeof event === 'string' && (WITH_PAYLOAD.includes(event) || PAYLOAD_OPTIONAL.includes(event));

describe('socket fuzzing', { timeout: 180_000 }, () => {
  let server: TestServer;
  let fuzzer: Registered;
  let alice: Registered;
  let bob: Registered;
  let model: ChatModel;
  const sockets: Partial<Record<Answer['who'], TestClient>> = {};
  const answers: Answer[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  const dropped: string[] = [];
  const expected = { aliceTyping: 0, bobTyping: 0, aliceReadReceipts: 0 };
  const stats = new Map<string, { emits: number; accepted: number }>();

  const nextAnswer = async (emit: Emit): Promise<Answer> => {
    const deadline = Date.now() + 5000;
    while (answers.length <= taken) {
      if (Date.now() > deadline) assert.fail(`no answer to ${JSON.stringify(emit).slice(0, 300)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return answers[taken++] as Answer;
  };

  function verdict(event: string | number, p: unknown): F.Verdict {
    if (!isKnown(event)) return 'reject';
    if (event === 'get_unread_count') return 'accept';
    if (event === 'get_conversations') {
      if (p === undefined || p === null) return 'accept';
      if (!F.isObject(p)) return 'reject';
      return F.field(p, 'cursor') === undefined ? F.pageVerdict(F.field(p, 'limit')) : 'either';
    }
    if (!F.isObject(p)) return 'reject';
    if (event === 'open_direct') {
      const id = F.idOf(F.field(p, 'userId'));
      return id !== undefined && id !== fuzzer.user._id && model.users.has(id) ? 'accept' : 'reject';
    }
    // Which conversation ids name the fuzzer's conversations is the server's to say.
    if (event === 'get_conversation' || event === 'mark_conversation_read') return 'either';
    if (event === 'send_message') return model.sendVerdict(p);
    if (event === 'mark_message_read') return model.markVerdict(F.field(p, 'messageId'));
    if (event === 'get_message_history')
      return model.historyVerdict(F.field(p, 'otherUserId'), F.field(p, 'page'), F.field(p, 'limit'));
    return model.typingVerdict(p);
  }

  /** Checks a successful answer against the model and records what it changed. */
  function account(event: string, p: Record<string, unknown>, answer: Answer): void {
    const reply = answer.payload;
    if (event === 'send_message') model.sent(p, reply.message);
    else if (event === 'mark_message_read') {
      model.marked(F.field(p, 'messageId'), reply);
      expected.aliceReadReceipts += 1;
    } else if (event === 'get_message_history') {
      model.checkPage(F.field(p, 'otherUserId'), F.field(p, 'page'), F.field(p, 'limit'), reply);
    } else if (event === 'get_unread_count') {
      assert.deepEqual(reply, { count: model.unread(fuzzer.user._id) });
    } else if (event === 'get_conversations') {
      assert.ok(Array.isArray(reply.conversations), 'conversations is a list');
      for (const c of reply.conversations)
        assert.ok(c.members.some((m: { _id: string }) => m._id === fuzzer.user._id));
    } else if (event === 'get_conversation' || event === 'open_direct') {
      assert.ok(reply.conversation.members.some((m: { _id: string }) => m._id === fuzzer.user._id));
      if (event === 'open_direct') {
        const other = F.idOf(F.field(p, 'userId'));
        assert.ok(reply.conversation.members.some((m: { _id: string }) => m._id === other));
      }
    } else if (event === 'mark_conversation_read') {
      assert.deepEqual([reply.success, reply.userId], [true, fuzzer.user._id]);
    } else {
      const to = F.idOf(F.field(p, 'receiverId'));
      assert.equal(answer.who, to === alice.user._id ? 'alice' : 'bob');
      const isTyping = event === 'typing_start';
      assert.match(reply.conversationId, /^\d+$/);
      assert.deepEqual(reply, {
        userId: fuzzer.user._id,
        userName: fuzzer.user.name,
        isTyping,
        conversationId: reply.conversationId,
      });
      expected[answer.who === 'alice' ? 'aliceTyping' : 'bobTyping'] += 1;
    }
  }

  /** One emit, its one answer, and the oracle's and the model's view of it. */
  async function fire(emit: Emit): Promise<void> {
    const socket = (sockets.fuzzer as TestClient).socket;
    const name = emit.event as string;
    const acked = emit.ack
      ? (socket.timeout(5000).emitWithAck(name, ...emit.args) as Promise<any>)
      : undefined;
    if (!emit.ack) socket.emit(name, ...emit.args);
    const answer = await nextAnswer(emit);
    const ack = await acked;
    const p = F.socketWire(emit.args)[0];
    const v = verdict(emit.event, p);
    const label = `${String(emit.event)} → ${answer.event} ${JSON.stringify(answer.payload).slice(0, 200)}`;
    const row = stats.get(isKnown(emit.event) ? emit.event : 'unknown') ?? { emits: 0, accepted: 0 };
    stats.set(isKnown(emit.event) ? emit.event : 'unknown', row);
    row.emits += 1;
    if (answer.event === 'error') {
      assert.notEqual(v, 'accept', `valid emit refused: ${label}`);
      const message = answer.payload?.message;
      assert.ok(typeof message === 'string' && message.length > 0, label);
      if (!isKnown(emit.event)) assert.equal(message, `Unknown event: ${String(emit.event).slice(0, 64)}`);
      else if (!F.isObject(p) && !PAYLOAD_OPTIONAL.includes(name))
        assert.equal(message, `${name} payload must be an object`);
      if (emit.ack) assert.deepEqual(ack, { success: false, message });
      return;
    }
    assert.notEqual(v, 'reject', `invalid emit accepted: ${label}`);
    assert.equal(answer.event, REPLY[name] ?? 'typing_indicator', label);
    row.accepted += 1;
    account(name, p as Record<string, unknown>, answer);
    if (emit.ack && name === 'mark_conversation_read') {
      // The ack is the answer; the event the cursor's broadcast (to every socket of the reader).
      const { conversationId, lastReadMessageId, unreadCount } = answer.payload;
      assert.deepEqual(ack, { success: true, conversationId, lastReadMessageId, unreadCount });
    } else if (emit.ack) assert.deepEqual(ack, REPLY[name] ? answer.payload : { success: true });
  }

  const payloadOrNone = (payload: fc.Arbitrary<unknown>) =>
    fc
      .oneof(
        { weight: 12, arbitrary: fc.tuple(payload, F.extras).map(([p, rest]) => [p, ...rest]) },
        { weight: 1, arbitrary: fc.constant([] as unknown[]) },
      )
      .filter(F.sendable);
  /** Mostly one of `good`, otherwise anything `F.idLike` makes of `ids`. */
  const pick = (good: string[], ids: string[]) =>
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...good) }, { weight: 2, arbitrary: F.idLike(ids) });
  const fuzz = (event: fc.Arbitrary<string | number>, args: fc.Arbitrary<unknown[]>, runs: number) =>
    fc.assert(
      fc.asyncProperty(fc.record({ event, args, ack: fc.boolean() }), (emit) => fire(emit)),
      F.fuzzOptions(runs),
    );

  before(async () => {
    ({ server, fuzzer, alice, bob, model } = await startFuzzChat({ TYPING_TIMEOUT_MS: '600000' }));
    for (const [who, user] of [
      ['fuzzer', fuzzer],
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const client = await connectClient(server.url, user.token);
      sockets[who] = client;
      client.socket.on('disconnect', (reason) => dropped.push(`${who}: ${reason}`));
      client.socket.onAny((event: string, payload: unknown) => {
        if (who === 'fuzzer' ? FUZZER_ANSWERS.includes(event) : event === 'typing_indicator') {
          answers.push({ who, event, payload });
          wake?.();
        }
      });
    }
  });

  after(async () => {
    for (const client of Object.values(sockets)) client?.close();
    await server?.close();
  });

  it('answers every send_message once; stores exactly what it acknowledged', async () => {
    const receiverId = pick([alice.user._id, bob.user._id], [...model.users.keys()]);
    const fields = { receiverId, content: F.contentLike, clientMessageId: F.clientIdLike };
    const nearValid = F.objectOf(fields, ['receiverId', 'content']);
    const anyShape = F.objectOf({ receiverId: F.junk, content: F.junk, clientMessageId: F.junk });
    const payload = fc.oneof({ weight: 6, arbitrary: nearValid }, anyShape, F.junk);
    await fuzz(fc.constant('send_message'), payloadOrNone(payload), 1200);
  });

  it('answers every mark_message_read, typing_start and typing_stop once', async () => {
    const mine = [...model.messages].filter(([, m]) => m.receiverId === fuzzer.user._id).map(([id]) => id);
    const messageId = pick(mine, [...model.messages.keys(), ...model.users.keys()]);
    const markable = F.objectOf({ messageId }, ['messageId']);
    const mark = fc.oneof({ weight: 4, arbitrary: markable }, F.objectOf({ messageId: F.junk }), F.junk);
    await fuzz(fc.constant('mark_message_read'), payloadOrNone(mark), 700);
    const receiverId = pick([alice.user._id, bob.user._id], [...model.users.keys()]);
    const typing = fc.oneof({ weight: 4, arbitrary: F.objectOf({ receiverId }, ['receiverId']) }, F.junk);
    await fuzz(fc.constantFrom('typing_start', 'typing_stop'), payloadOrNone(typing), 1000);
  });

  it('answers every get_message_history and get_unread_count with the modelled page and count', async () => {
    const ids = [...model.users.keys()];
    const shape = { otherUserId: pick(ids, ids), page: F.pageLike, limit: F.pageLike };
    const history = fc.oneof({ weight: 5, arbitrary: F.objectOf(shape, ['otherUserId']) }, F.junk);
    await fuzz(fc.constant('get_message_history'), payloadOrNone(history), 800);
    await fuzz(fc.constant('get_unread_count'), payloadOrNone(F.junk), 200);
  });

  it('answers every inbox event once: get_conversations, get_conversation, open_direct, mark_conversation_read', async () => {
    const userId = pick([alice.user._id, bob.user._id], [...model.users.keys()]);
    const open = fc.oneof({ weight: 4, arbitrary: F.objectOf({ userId }, ['userId']) }, F.junk);
    await fuzz(fc.constant('open_direct'), payloadOrNone(open), 300);
    // The fuzzer's conversations (with Alice and Bob, opened above) and ids that name others or nothing.
    // Over REST: a socket reply would be taken for an answer to the next emit.
    const inbox = await http(server.url, 'GET', '/api/conversations?limit=100', { token: fuzzer.token });
    const mine = inbox.body.conversations.map((c: { _id: string }) => c._id) as string[];
    assert.ok(mine.length > 0, 'the fuzzer has conversations');
    const conversationId = pick(mine, [...mine, '1', '2', '3', '999999']);
    const messageId = pick([...model.messages.keys()], [...model.messages.keys()]);
    const byId = F.objectOf({ conversationId }, ['conversationId']);
    const read = F.objectOf({ conversationId, messageId }, ['conversationId']);
    await fuzz(
      fc.constant('get_conversation'),
      payloadOrNone(fc.oneof({ weight: 4, arbitrary: byId }, F.junk)),
      300,
    );
    await fuzz(
      fc.constant('mark_conversation_read'),
      payloadOrNone(fc.oneof({ weight: 4, arbitrary: read }, F.junk)),
      400,
    );
    const page = F.objectOf({ limit: F.junk, cursor: fc.oneof(fc.string({ maxLength: 30 }), F.junk) });
    await fuzz(fc.constant('get_conversations'), payloadOrNone(fc.oneof(page, F.junk)), 300);
  });

  it('answers unknown event names with "Unknown event: <name>"', async () => {
    const names = fc
      .oneof(
        fc.string({ unit: 'binary', maxLength: 12 }),
        fc.string({ minLength: 60, maxLength: 300 }),
        fc.integer(),
        fc.constantFrom('SEND_MESSAGE', 'send_message ', 'message', 'error', 'receive_message', ''),
        fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
      )
      .filter((name) => !isKnown(name) && (typeof name !== 'string' || !RESERVED.includes(name)));
    await fuzz(names, fc.array(F.junk, { maxLength: 3 }).filter(F.sendable), 700);
  });

  it('kept everyone connected, delivered exactly the accepted emits, and stored nothing else', async () => {
    await sleep(300);
    assert.equal(answers.length, taken, `unexplained: ${JSON.stringify(answers.slice(taken)).slice(0, 300)}`);
    assert.deepEqual(dropped, [], 'no socket may be disconnected');
    const [a, b] = [sockets.alice as TestClient, sockets.bob as TestClient];
    assert.equal(b.all('receive_message').length, model.sentTo(bob.user._id));
    assert.equal(b.all('message_notification').length, model.sentTo(bob.user._id));
    assert.equal(a.all('receive_message').length, model.sentTo(alice.user._id));
    assert.equal(a.all('typing_indicator').length, expected.aliceTyping);
    assert.equal(b.all('typing_indicator').length, expected.bobTyping);
    assert.equal(a.all('message_read').length, expected.aliceReadReceipts);
    await model.verifyStorage(server.url, [fuzzer, alice, bob]);

    // The bystanders still talk.
    b.emit('send_message', { receiverId: alice.user._id, content: 'after the storm' });
    const received = await a.next('receive_message', (m) => m.content === 'after the storm');
    assert.equal(received.senderId, bob.user._id);
    assert.deepEqual((await http(server.url, 'GET', '/healthz')).body, { status: 'ok' });
    const total = [...stats.values()].reduce((n, row) => n + row.emits, 0);
    const rows = [...stats].map(([event, row]) => `${event} ${row.accepted}/${row.emits}`).join(', ');
    console.log(`socket fuzz (seed ${F.FUZZ_SEED}): ${total} emits; accepted/emitted: ${rows}`);
  });

  it('stores valid Unicode text exactly as acknowledged, and two ids one code point apart as two', async () => {
    const socket = sockets.fuzzer as TestClient;
    let run = 0;
    let checked = 0;
    const clientId = validUnicode.filter((s) => s.length <= 100);
    await fc.assert(
      fc.asyncProperty(validUnicode, clientId, async (content, id) => {
        run += 1;
        // The second clientMessageId differs from the first in one code point; the `|` keeps a trailing
        // space or separator from being trimmed away.
        const sends = [id, twinOf(id)].map((cid, i) => ({
          receiverId: bob.user._id,
          content: `${run}${'ab'[i]} ${content}`,
          clientMessageId: `${run}:${cid}|`,
        }));
        const seen = new Set<string>();
        for (const payload of sends) {
          const ack = await socket.ack('send_message', payload);
          assert.equal(
            ack.success,
            true,
            `valid Unicode refused: ${JSON.stringify(payload)} → ${ack.message}`,
          );
          assert.equal(ack.message.content, payload.content.trim());
          const res = await http(server.url, 'GET', `/api/messages/${bob.user._id}?limit=1`, {
            token: fuzzer.token,
          });
          assert.deepEqual(res.body.messages[0], ack.message, 'stored as acknowledged, and a new message');
          seen.add(ack.message._id);
          // The receiver's copy carries the same text.
          const copy = await (sockets.bob as TestClient).next(
            'receive_message',
            (m) => m._id === ack.message._id,
          );
          assert.equal(copy.content, ack.message.content);
          model.sent(payload, ack.message);
        }
        assert.equal(seen.size, 2, 'two clientMessageIds one code point apart are two messages');
        checked += 1;
      }),
      F.fuzzOptions(30),
    );
    assert.ok(checked > 0 && checked === run, `checked ${checked} of ${run} generated cases`);
  });

  it('refuses text with a lone surrogate in content or clientMessageId, and stores nothing', async () => {
    const socket = sockets.fuzzer as TestClient;
    let refused = 0;
    const latest = async () =>
      (await http(server.url, 'GET', `/api/messages/${bob.user._id}?limit=1`, { token: fuzzer.token })).body
        .messages[0]?._id;
    const before = await latest();
    await fc.assert(
      fc.asyncProperty(loneSurrogates, fc.boolean(), async (text, inContent) => {
        const payload = inContent
          ? { receiverId: bob.user._id, content: `x ${text}` }
          : { receiverId: bob.user._id, content: 'x', clientMessageId: `c ${text}` };
        const field = inContent ? 'content' : 'clientMessageId';
        const ack = await socket.ack('send_message', payload);
        assert.deepEqual(ack, {
          success: false,
          message: `${field} must be valid Unicode text (no lone surrogates)`,
        });
        refused += 1;
      }),
      F.fuzzOptions(20),
    );
    assert.ok(refused > 0, 'the property ran');
    assert.equal(await latest(), before, 'nothing was stored');
  });
});
