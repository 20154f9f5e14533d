import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SQLite, type SqliteDatabase } from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, testBackend, type TestServer } from '../support/server.js';
import { TEST_DATABASE_URL, createTestSchema, postgresSkip, type TestSchema } from '../support/services.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Storage that fails for real while Parley runs: SQLite locked by another connection (default backend),
 * or PostgreSQL behind a TCP proxy that is cut (scaled backend). A failed send is reported as failed,
 * stores nothing half-written, reaches no receiver, and sending works again once storage is back.
 */

const FAILED = { success: false, message: 'Failed to send message' };
/** A locked SQLite write waits out busy_timeout (5 s) first, with the whole event loop blocked. */
const SLOW_ACK_MS = 20_000;

/** Alice → Bob, with the checks every fault needs: history, unread count, what each tab was told. */
function conversation(url: () => string) {
  const s = {
    alice: {} as Registered,
    bob: {} as Registered,
    aliceTab: {} as TestClient,
    bobTab: {} as TestClient,
  };
  const payload = (clientMessageId: string) => ({
    receiverId: s.bob.user._id,
    content: `message ${clientMessageId}`,
    clientMessageId,
  });
  return Object.assign(s, {
    payload,
    async setUp() {
      s.alice = await registerUser(url(), { name: 'Alice Fault' });
      s.bob = await registerUser(url(), { name: 'Bob Fault' });
      s.aliceTab = await connectClient(url(), s.alice.token);
      s.bobTab = await connectClient(url(), s.bob.token);
    },
    /** Sends over the socket with an ack that may take as long as a locked write does. */
    send: (clientMessageId: string) =>
      s.aliceTab.socket.timeout(SLOW_ACK_MS).emitWithAck('send_message', payload(clientMessageId)),
    post: (clientMessageId: string) =>
      http(url(), 'POST', '/api/messages', { token: s.alice.token, body: payload(clientMessageId) }),
    async history(): Promise<WireMessage[]> {
      const res = await http(url(), 'GET', `/api/messages/${s.bob.user._id}?limit=100`, {
        token: s.alice.token,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.messages;
    },
    async unread(): Promise<number> {
      const res = await http(url(), 'GET', '/api/messages/unread-count', { token: s.bob.token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.count;
    },
    /** Bob was told about none of `ids`, and Alice got no `message_sent` for them. */
    async nobodyToldAbout(...ids: string[]) {
      await sleep(300);
      const about = (m: WireMessage) => ids.includes(m.clientMessageId ?? '');
      assert.deepEqual(s.bobTab.all<WireMessage>('receive_message').filter(about), []);
      const notes = s.bobTab.all<{ message: string }>('message_notification');
      assert.deepEqual(
        notes.filter((n) => ids.some((id) => n.message === `message ${id}`)),
        [],
      );
      assert.deepEqual(
        s.aliceTab.all<{ message: WireMessage }>('message_sent').filter((p) => about(p.message)),
        [],
      );
    },
    /** A successful send that Bob receives exactly once. */
    async sentAndReceived(answer: any, clientMessageId: string) {
      assert.equal(answer.success, true, JSON.stringify(answer));
      assert.equal(answer.message.clientMessageId, clientMessageId);
      await s.bobTab.next('receive_message', (m: WireMessage) => m._id === answer.message._id);
      await sleep(200);
      const copies = s.bobTab.all<WireMessage>('receive_message').filter((m) => m._id === answer.message._id);
      assert.equal(copies.length, 1, 'Bob receives the message once');
    },
    close() {
      s.aliceTab.close?.();
      s.bobTab.close?.();
    },
  });
}

describe(
  'SQLite locked by another connection',
  { skip: testBackend !== 'default' && 'SQLite only: runs on the default backend' },
  () => {
    let server: TestServer;
    let lock: SqliteDatabase;
    const c = conversation(() => server.url);
    const count = (table: string) =>
      (lock.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

    before(async () => {
      server = await startServer({ RATE_LIMITS: 'off' });
      await c.setUp();
      lock = new SQLite(join(server.dataDir, 'parley.db'));
    });
    after(async () => {
      if (lock?.inTransaction) lock.exec('ROLLBACK');
      lock?.close();
      c.close();
      await server?.close();
    });

    it('fails sends with Failed to send message, stores nothing, and sends again once released', async (t) => {
      // The first message of a pair opens their conversation first: neither may be left behind.
      lock.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      try {
        assert.deepEqual(await c.send('locked-socket'), FAILED);
        assert.deepEqual(await c.aliceTab.next('error'), { message: FAILED.message });
        const rest = await c.post('locked-rest');
        assert.deepEqual([rest.status, rest.body], [500, { message: FAILED.message }]);
      } finally {
        lock.exec('ROLLBACK');
      }
      t.diagnostic(`two sends against the locked database took ${Date.now() - started} ms`);
      await c.nobodyToldAbout('locked-socket', 'locked-rest');
      assert.deepEqual([count('messages'), count('conversations')], [0, 0], 'nothing half-written');
      assert.deepEqual(await c.history(), []);
      assert.equal(await c.unread(), 0);

      // No restart: the same retries now succeed, each stored once.
      await c.sentAndReceived(await c.send('locked-socket'), 'locked-socket');
      const rest = await c.post('locked-rest');
      assert.equal(rest.status, 201, JSON.stringify(rest.body));
      const stored = (await c.history()).map((m) => m.clientMessageId);
      assert.deepEqual(stored, ['locked-socket', 'locked-rest']);
      assert.equal(await c.unread(), 2);
      assert.deepEqual([count('messages'), count('conversations')], [2, 1]);
    });
  },
);

describe(
  'PostgreSQL behind a proxy that is cut',
  {
    skip:
      testBackend !== 'scaled'
        ? 'PostgreSQL only: runs with PARLEY_TEST_BACKEND=scaled'
        : await postgresSkip(),
  },
  () => {
    let schema: TestSchema;
    let proxy: TcpProxy;
    let server: TestServer;
    let direct: pg.Client;
    const c = conversation(() => server.url);
    /** How many rows carry `clientMessageId`, read from PostgreSQL itself, not through the proxy. */
    const rows = async (clientMessageId: string) =>
      (await direct.query('select id from messages where client_message_id = $1', [clientMessageId])).rows;
    const readyz = () => http(server.url, 'GET', '/readyz');
    /** Errors nothing handled: in a real process each one would have ended Parley. */
    const uncaught: string[] = [];
    const record = (err: Error) => uncaught.push(err.message);
    const survived = () =>
      assert.deepEqual(uncaught, [], 'a dropped PostgreSQL connection must not raise an uncaught exception');
    const waitReady = async () => {
      for (let i = 0; i < 100 && (await readyz()).status !== 200; i++) await sleep(100);
      assert.equal((await readyz()).status, 200, 'ready again after the proxy is restored');
    };

    before(async () => {
      process.on('uncaughtExceptionMonitor', record);
      schema = await createTestSchema();
      const target = new URL(TEST_DATABASE_URL);
      proxy = await TcpProxy.start(Number(target.port || 5432), target.hostname);
      server = await startServer({ DATABASE_URL: proxy.urlFor(schema.url), RATE_LIMITS: 'off' });
      direct = new pg.Client({ connectionString: schema.url });
      await direct.connect();
      await c.setUp();
    });
    beforeEach(() => void uncaught.splice(0));
    after(async () => {
      process.off('uncaughtExceptionMonitor', record);
      c.close();
      proxy?.cut(); // drops anything a failed test left held, or closing the pool would wait for it
      proxy?.restore();
      await server?.close();
      await proxy?.close();
      await direct?.end();
      await schema?.drop();
    });

    it('a request lost mid-send: Failed to send message, nothing stored, 503 while cut, then recovery', async () => {
      // The first message of the pair (its conversation opened just before): BEGIN, INSERT messages, UPDATE
      // the members' unread counts, COMMIT. Cut at the INSERT.
      // The pg client doing it is checked out of the pool: unless Parley listens for its 'error' event,
      // the dropped connection is an uncaught exception here (and ends a real process).
      const held = proxy.holdAt('insert into "messages"', 'request');
      const sending = c.send('cut-socket');
      await held.finally(() => proxy.cut());
      try {
        assert.deepEqual(await sending, FAILED);
        assert.deepEqual(await c.aliceTab.next('error'), { message: FAILED.message });

        const ready = await readyz();
        assert.equal(ready.status, 503);
        assert.deepEqual(
          [ready.body.status, ready.body.checks.storage, typeof ready.body.message],
          ['unavailable', 'unavailable', 'string'],
        );
        // Authentication falls back to the cached user while storage is unreachable; the send then fails.
        const rest = await c.post('cut-rest');
        assert.equal(rest.status, 500, JSON.stringify(rest.body));
        assert.deepEqual(rest.body, { message: 'Failed to send message' });
        assert.deepEqual(await c.send('cut-while-down'), FAILED);
      } finally {
        proxy.restore();
      }
      survived();
      await c.nobodyToldAbout('cut-socket', 'cut-rest', 'cut-while-down');
      await waitReady();
      for (const id of ['cut-socket', 'cut-rest', 'cut-while-down']) assert.deepEqual(await rows(id), []);
      const members = await direct.query(
        'select coalesce(sum(unread_count), 0)::int as n, coalesce(max(last_message_id), 0)::int as last from conversation_members',
      );
      assert.deepEqual(members.rows[0], { n: 0, last: 0 }, 'no member counts from the aborted transaction');
      assert.deepEqual(await c.history(), []);
      assert.equal(await c.unread(), 0);

      await c.sentAndReceived(await c.send('cut-socket'), 'cut-socket');
      assert.equal((await c.post('cut-rest')).status, 201);
      assert.deepEqual(
        (await c.history()).map((m) => m.clientMessageId),
        ['cut-socket', 'cut-rest'],
      );
      assert.equal(await c.unread(), 2);
    });

    it('a reply lost after the commit: reported failed, stored once, a retry answers with it', async () => {
      // A send is one transaction (advisory lock, INSERT, COMMIT). PostgreSQL commits it; the reply to the
      // COMMIT never arrives.
      assert.equal((await c.send('known-pair')).success, true);
      const unreadBefore = await c.unread();
      const held = proxy.holdAt('commit', 'reply');
      const sending = c.send('lost-reply');
      let row: { id: string | number } | undefined;
      try {
        await held;
        for (let i = 0; i < 100 && !row; i++) [row] = await sleep(50).then(() => rows('lost-reply'));
        assert.ok(row, 'PostgreSQL committed the insert');
      } finally {
        proxy.cut();
      }
      try {
        // Told it failed although it is stored: never the reverse (acked, then lost).
        assert.deepEqual(await sending, FAILED);
        assert.deepEqual(await c.aliceTab.next('error'), { message: FAILED.message });
      } finally {
        proxy.restore();
      }
      survived();
      await waitReady();

      const retry = await c.send('lost-reply');
      assert.equal(retry.success, true, JSON.stringify(retry));
      assert.equal(retry.message._id, String(row.id), 'the retry answers with the stored message');
      assert.equal((await rows('lost-reply')).length, 1, 'stored exactly once');
      const inHistory = (await c.history()).filter((m) => m.clientMessageId === 'lost-reply');
      assert.deepEqual(
        inHistory.map((m) => m._id),
        [String(row.id)],
      );
      assert.equal(await c.unread(), unreadBefore + 1, 'Bob finds it unread');
      // Documented (docs/reliability.md): the receiver is told on the attempt that stored the message;
      // that one was reported failed, and the retry does not tell Bob. A later send is a fence: Bob's tab
      // gets it after anything the retry would have sent him.
      const fence = await c.send('after-lost-reply');
      assert.equal(fence.success, true, JSON.stringify(fence));
      await c.bobTab.next('receive_message', (m: WireMessage) => m._id === fence.message._id);
      const live = c.bobTab
        .all<WireMessage>('receive_message')
        .filter((m) => m.clientMessageId === 'lost-reply');
      assert.deepEqual(live, [], 'Bob is not told live about the message whose first reply was lost');
    });
  },
);
