import assert from 'node:assert/strict';
import { http, registerUser, type Registered } from './http.js';
import { startServer, type TestServer } from './server.js';
import * as F from './fuzz.js';

interface StoredMessage {
  senderId: string;
  receiverId: string;
  content: string;
}

/**
 * What the fuzz suites believe is stored, built only from answers the server gave: the oracle of the
 * messaging rules asks it which ids exist, and every accepted write is checked and recorded here. At the
 * end, `verifyStorage` compares it with what the server reports.
 */
export class ChatModel {
  readonly users = new Map<string, Registered>();
  readonly messages = new Map<string, StoredMessage>();
  private readonly read = new Set<string>();
  /** The fuzzer's client message ids (trimmed) → the message each one stored. */
  private readonly clientIds = new Map<string, string>();

  constructor(readonly me: Registered) {
    this.users.set(me.user._id, me);
  }

  addUser(user: Registered): void {
    this.users.set(user.user._id, user);
  }

  /** A seed, sent before fuzzing starts. */
  addMessage(id: string, from: Registered, to: Registered, content: string): void {
    this.messages.set(id, { senderId: from.user._id, receiverId: to.user._id, content });
  }

  private get myId() {
    return this.me.user._id;
  }

  /** send_message / POST /api/messages from the fuzzer. */
  sendVerdict(p: unknown): F.Verdict {
    if (!F.isObject(p)) return 'reject';
    const to = F.idOf(F.field(p, 'receiverId'));
    return F.all(
      to !== undefined && to !== this.myId && this.users.has(to) ? 'accept' : 'reject',
      F.contentVerdict(F.field(p, 'content')),
      F.optionalTextVerdict(F.field(p, 'clientMessageId'), 128),
    );
  }

  /** mark_message_read / PATCH: only the fuzzer's own received messages. */
  markVerdict(messageId: unknown): F.Verdict {
    const id = F.idOf(messageId);
    return id !== undefined && this.messages.get(id)?.receiverId === this.myId ? 'accept' : 'reject';
  }

  /** get_message_history / GET /api/messages/:id (any existing user, the fuzzer too). */
  historyVerdict(otherUserId: unknown, page: unknown, limit: unknown): F.Verdict {
    const id = F.idOf(otherUserId);
    return F.all(
      id !== undefined && this.users.has(id) ? 'accept' : 'reject',
      F.pageVerdict(page, 1_000_000),
      F.pageVerdict(limit),
    );
  }

  typingVerdict(p: unknown): F.Verdict {
    const to = F.isObject(p) ? F.idOf(F.field(p, 'receiverId')) : undefined;
    return to !== undefined && to !== this.myId && this.users.has(to) ? 'accept' : 'reject';
  }

  /** Checks an accepted send's message against its payload and records it. */
  sent(p: Record<string, unknown>, message: { _id: string; content: string; receiverId: string }): void {
    const clientId = (F.field(p, 'clientMessageId') as string | undefined)?.trim();
    const earlier = clientId === undefined ? undefined : this.clientIds.get(clientId);
    if (earlier !== undefined) {
      assert.equal(message._id, earlier, 'a retried clientMessageId must return the stored message');
      return;
    }
    assert.ok(!this.messages.has(message._id), `a new message must get a new id, not ${message._id}`);
    assert.equal(message.content, (F.field(p, 'content') as string).trim());
    assert.equal(message.receiverId, F.idOf(F.field(p, 'receiverId')));
    this.messages.set(message._id, {
      senderId: this.myId,
      receiverId: message.receiverId,
      content: message.content,
    });
    if (clientId !== undefined) this.clientIds.set(clientId, message._id);
  }

  /** Checks an accepted mark-read answer and records the read. */
  marked(messageId: unknown, answer: { message: { _id: string; read: boolean } }): void {
    assert.equal(answer.message._id, F.idOf(messageId));
    assert.equal(answer.message.read, true);
    this.read.add(answer.message._id);
  }

  /** Checks an accepted history page: exactly the modelled ids, page, limit and hasMore. */
  checkPage(
    otherUserId: unknown,
    page: unknown,
    limit: unknown,
    answer: { messages: { _id: string }[]; pagination: unknown },
  ): void {
    const other = F.idOf(otherUserId) as string;
    const [p, size] = [Number(page ?? 1), F.pageSize(limit, 50)];
    const ids = other === this.myId ? [] : this.conversation(this.myId, other);
    const end = ids.length - (p - 1) * size;
    const want = end <= 0 ? [] : ids.slice(Math.max(0, end - size), end);
    assert.deepEqual(answer.pagination, { page: p, limit: size, hasMore: end - size > 0 });
    assert.deepEqual(
      answer.messages.map((m) => m._id),
      want,
    );
  }

  /** Message ids between a and b, oldest first. */
  conversation(a: string, b: string): string[] {
    return [...this.messages]
      .filter(([, m]) => (m.senderId === a && m.receiverId === b) || (m.senderId === b && m.receiverId === a))
      .map(([id]) => id)
      .sort((x, y) => Number(x) - Number(y));
  }

  unread(userId: string): number {
    return [...this.messages].filter(([id, m]) => m.receiverId === userId && !this.read.has(id)).length;
  }

  /** Sent by the fuzzer to `userId`. */
  sentTo(userId: string): number {
    return [...this.messages.values()].filter((m) => m.senderId === this.myId && m.receiverId === userId)
      .length;
  }

  /** Unread counts and whole conversations among `among`, as the server reports them, equal the model. */
  async verifyStorage(url: string, among: Registered[]): Promise<void> {
    for (const user of among) {
      const res = await http(url, 'GET', '/api/messages/unread-count', { token: user.token });
      assert.deepEqual(
        res.body,
        { count: this.unread(user.user._id) },
        `unread count of ${user.user.username}`,
      );
    }
    for (const [i, x] of among.entries()) {
      for (const y of among.slice(i + 1)) {
        const stored: { _id: string; content: string }[] = [];
        for (let page = 1; ; page += 1) {
          const path = `/api/messages/${y.user._id}?limit=100&page=${page}`;
          const res = await http(url, 'GET', path, { token: x.token });
          assert.equal(res.status, 200, path);
          stored.unshift(...res.body.messages);
          if (!res.body.pagination.hasMore) break;
        }
        const want = this.conversation(x.user._id, y.user._id);
        assert.deepEqual(
          stored.map((m) => m._id),
          want,
        );
        assert.deepEqual(
          stored.map((m) => m.content),
          want.map((id) => this.messages.get(id)?.content),
        );
      }
    }
  }
}

export interface FuzzChat {
  server: TestServer;
  fuzzer: Registered;
  alice: Registered;
  bob: Registered;
  model: ChatModel;
}

/**
 * Both fuzz suites' starting point: a server without rate limits, the fuzzing user and two bystanders,
 * and seeds — three messages the fuzzer may mark read, one (alice → bob) it may not — in the model.
 */
export async function startFuzzChat(env: Record<string, string> = {}): Promise<FuzzChat> {
  const server = await startServer({ RATE_LIMITS: 'off', ...env });
  const fuzzer = await registerUser(server.url);
  const alice = await registerUser(server.url);
  const bob = await registerUser(server.url);
  const model = new ChatModel(fuzzer);
  model.addUser(alice);
  model.addUser(bob);
  for (const [to, content] of [
    [fuzzer, 's1'],
    [fuzzer, 's2'],
    [fuzzer, 's3'],
    [bob, 'not yours'],
  ] as const) {
    const body = { receiverId: to.user._id, content };
    const res = await http(server.url, 'POST', '/api/messages', { token: alice.token, body });
    assert.equal(res.status, 201);
    model.addMessage(res.body.message._id, alice, to, content);
  }
  return { server, fuzzer, alice, bob, model };
}
