import assert from 'node:assert/strict';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from './http.js';
import { startServer, type TestServer } from './server.js';
import { connectClient, type TestClient } from './socket.js';

/** A message row as stored, read straight from the database (ids as strings, times as epoch ms). */
export interface StoredMessage {
  id: string;
  sender: string;
  receiver: string;
  readAt: unknown;
  sentAt: number;
  content: string;
}

/** Matches a message, a `{message}` payload (`message_sent`, …) or a `message_read` payload by id. */
export const byId =
  (id: string) =>
  (m: WireMessage | { message: WireMessage } | { messageId: string }): boolean =>
    ('_id' in m ? m._id : 'messageId' in m ? m.messageId : m.message._id) === id;

/**
 * A server with three users, each with one open socket (Alice, Bob, Carol), plus a fourth user whose
 * socket is used only to `flush` the others, and helpers that read what is stored over REST and SQL.
 */
export interface CrossUser {
  server: TestServer;
  alice: Registered;
  bob: Registered;
  carol: Registered;
  a: TestClient;
  b: TestClient;
  c: TestClient;
  /** Sends over REST and returns the stored message. */
  send(from: Registered, to: Registered, content: string): Promise<WireMessage>;
  row(id: string): Promise<StoredMessage | undefined>;
  countRows(): Promise<number>;
  unread(who: Registered): Promise<number>;
  /** `who`'s conversation with `other` over REST (newest 100). */
  history(who: Registered, other: Registered): Promise<WireMessage[]>;
  /**
   * Resolves once every event emitted earlier to these tabs' users has arrived: a `typing_stop` from
   * the fourth user travels the same per-user room after anything emitted before it.
   */
  flush(...clients: TestClient[]): Promise<void>;
  /** Asserts that none of these tabs (default: all three) received any of `events` about message `id`. */
  noEvents(events: string[], id: string, clients?: TestClient[]): void;
  close(): Promise<void>;
}

export async function crossUser(passwords: { alice?: string } = {}): Promise<CrossUser> {
  const server = await startServer();
  const alice = await registerUser(server.url, {
    name: 'Alice A',
    ...(passwords.alice ? { password: passwords.alice } : {}),
  });
  const bob = await registerUser(server.url, { name: 'Bob B' });
  const carol = await registerUser(server.url, { name: 'Carol C' });
  const pinger = await registerUser(server.url, { name: 'Pinger' });
  const [a, b, c, p] = (await Promise.all(
    [alice, bob, carol, pinger].map((who) => connectClient(server.url, who.token)),
  )) as [TestClient, TestClient, TestClient, TestClient];
  const owners = new Map([
    [a, alice],
    [b, bob],
    [c, carol],
  ]);

  const row = async (id: string): Promise<StoredMessage | undefined> => {
    const [r] = await server.sql(
      'SELECT id, sender_id, receiver_id, read_at, sent_at, content FROM messages WHERE id = ?',
      [Number(id)],
    );
    if (!r) return undefined;
    return {
      id: String(r.id),
      sender: String(r.sender_id),
      receiver: String(r.receiver_id),
      readAt: r.read_at,
      sentAt: Number(r.sent_at),
      content: String(r.content),
    };
  };

  return {
    server,
    alice,
    bob,
    carol,
    a,
    b,
    c,
    row,
    send: async (from, to, content) => {
      const res = await http(server.url, 'POST', '/api/messages', {
        token: from.token,
        body: { receiverId: to.user._id, content },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.message;
    },
    countRows: async () => {
      const [r] = await server.sql<{ n: unknown }>('SELECT COUNT(*) AS n FROM messages');
      return Number(r?.n);
    },
    unread: async (who) => {
      const res = await http(server.url, 'GET', '/api/messages/unread-count', { token: who.token });
      assert.equal(res.status, 200);
      return res.body.count;
    },
    history: async (who, other) => {
      const res = await http(server.url, 'GET', `/api/messages/${other.user._id}?limit=100`, {
        token: who.token,
      });
      assert.equal(res.status, 200);
      return res.body.messages;
    },
    flush: async (...clients) => {
      for (const client of clients) {
        const owner = owners.get(client);
        assert.ok(owner, 'flush takes the fixture tabs');
        await p.ack('typing_stop', { receiverId: owner.user._id });
        await client.next('typing_indicator', (t: { userId: string }) => t.userId === pinger.user._id);
      }
    },
    noEvents: (events, id, clients = [a, b, c]) => {
      for (const client of clients)
        for (const event of events)
          assert.equal(client.all(event).filter(byId(id)).length, 0, `${event} for ${id} reached a tab`);
    },
    close: async () => {
      for (const client of [a, b, c, p]) client.close();
      await server.close();
    },
  };
}
