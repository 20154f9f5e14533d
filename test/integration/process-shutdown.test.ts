import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { TestClient, sleep } from '../support/socket.js';
import { spawnReady, type ClusterNode } from './cluster-support.js';

/**
 * Graceful shutdown of a real Parley process (`src/main.ts`, SQLite) under load: clients send messages
 * continuously with `clientMessageId` and acks when SIGTERM/SIGINT arrives. Every acked message must be
 * stored; a new process on the same port and DATA_DIR takes the clients back by themselves, and retrying
 * what was not acked stores each message exactly once.
 */

const SECRET = 'parley-shutdown-test-secret-0123456789-abcdefghij';
/** main.ts exits with status 1 when a graceful shutdown takes longer than this. */
const SHUTDOWN_DEADLINE_MS = 10_000;
/** Reasons after which socket.io-client does not reconnect by itself. */
const FINAL_REASONS = ['io server disconnect', 'io client disconnect'];

const nodes = new Set<ClusterNode>();
const dirs: string[] = [];
const killAll = () => nodes.forEach((n) => n.kill('SIGKILL'));
process.once('exit', killAll);

/**
 * `node --import tsx src/main.ts` on SQLite in `dataDir`, ready on a free port, or on `port` (a restart
 * on the same address, so that clients reconnect by themselves).
 */
async function spawnParley(name: string, dataDir: string, port?: number): Promise<ClusterNode> {
  const env = { DATA_DIR: dataDir, JWT_SECRET: SECRET, LOG_LEVEL: 'info', RATE_LIMITS: 'off' };
  return spawnReady(name, env, { ...(port === undefined ? {} : { port }), onSpawn: (n) => nodes.add(n) });
}

function waitFor(client: TestClient, event: 'connect' | 'disconnect', ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    client.socket.once(event, (arg: unknown) => {
      clearTimeout(timer);
      resolve(arg);
    });
  });
}

/** One sender's tab with reconnection on, and what became of each message it sent. */
class Sender {
  readonly client: TestClient;
  /** clientMessageId → stored `_id`, for every send whose ack said success. */
  readonly acked = new Map<string, string>();
  /** clientMessageIds whose ack never came (disconnect, timeout) or said failure, with why. */
  readonly unacked = new Map<string, string>();
  readonly disconnects: string[] = [];
  private sent = 0;

  constructor(
    readonly user: Registered,
    url: string,
  ) {
    this.client = new TestClient(url, {
      auth: { token: user.token },
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
    });
    this.client.socket.on('disconnect', (reason) => this.disconnects.push(reason));
  }

  /** Sends one message after another on `lanes` concurrent lanes, until the socket disconnects. */
  async load(receiverId: string, lanes: number): Promise<void> {
    const lane = async () => {
      while (this.client.socket.connected)
        await this.send(receiverId, `${this.user.user.username}-${this.sent++}`);
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  async send(receiverId: string, clientMessageId: string): Promise<void> {
    try {
      const ack = await this.client.socket
        .timeout(3000)
        .emitWithAck('send_message', { receiverId, content: `load ${clientMessageId}`, clientMessageId });
      if (ack?.success) {
        this.acked.set(clientMessageId, ack.message._id);
        this.unacked.delete(clientMessageId);
      } else this.unacked.set(clientMessageId, `ack ${JSON.stringify(ack)}`);
    } catch (err) {
      this.unacked.set(clientMessageId, (err as Error).message);
    }
  }
}

/** Every message between `user` and `otherId`, oldest first, through every page. */
async function allMessages(url: string, user: Registered, otherId: string): Promise<WireMessage[]> {
  const pages: WireMessage[][] = [];
  for (let page = 1; ; page++) {
    const res = await http(url, 'GET', `/api/messages/${otherId}?limit=100&page=${page}`, {
      token: user.token,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages.unshift(res.body.messages);
    if (!res.body.pagination.hasMore) return pages.flat();
  }
}

async function shutdownUnderLoad(
  t: TestContext,
  signal: NodeJS.Signals,
  load: { senders: number; lanes: number; ackedBeforeSignal: number },
) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
  dirs.push(dataDir);
  const first = await spawnParley('first process', dataDir);
  let second: ClusterNode | undefined;
  const senders: Sender[] = [];
  try {
    const bob = await registerUser(first.url, { name: 'Bob Listener' });
    for (let i = 0; i < load.senders; i++) {
      const sender = new Sender(await registerUser(first.url, { name: `Sender ${i}` }), first.url);
      senders.push(sender);
      await sender.client.connected();
      await sender.client.next('connection');
    }

    // Load, then the signal while messages are in flight.
    const loads = senders.map((s) => s.load(bob.user._id, load.lanes));
    const ackedCount = () => senders.reduce((n, s) => n + s.acked.size, 0);
    for (let i = 0; i < 200 && ackedCount() < load.ackedBeforeSignal; i++) await sleep(25);
    assert.ok(ackedCount() >= load.ackedBeforeSignal, `load reached ${ackedCount()} acked messages`);
    const signalledAt = Date.now();
    first.kill(signal);

    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>(
      (resolve) => (timer = setTimeout(resolve, SHUTDOWN_DEADLINE_MS + 5000, 'late')),
    );
    const exit = await Promise.race([first.exited, late]);
    clearTimeout(timer);
    const shutdownMs = Date.now() - signalledAt;
    assert.equal(exit, 'code 0', `exit after ${signal}\n${first.describe()}`);
    assert.ok(shutdownMs < SHUTDOWN_DEADLINE_MS, `shut down in ${shutdownMs} ms`);
    assert.match(first.describe(), new RegExp(`"signal":"${signal}".*"msg":"shutting down"`));
    await Promise.all(loads);

    const reasons = senders.map((s) => s.disconnects.join(', '));
    for (const s of senders) {
      assert.equal(s.disconnects.length, 1, `one disconnect, saw: ${s.disconnects.join(', ')}`);
      assert.ok(
        !FINAL_REASONS.includes(s.disconnects[0] ?? ''),
        `reason '${s.disconnects[0]}' ends reconnection`,
      );
    }

    // The same port and DATA_DIR: the clients come back by themselves.
    const reconnected = senders.map((s) => waitFor(s.client, 'connect', 15_000));
    second = await spawnParley('second process', dataDir, first.port);
    await Promise.all(reconnected);
    await Promise.all(senders.map((s) => s.client.next('connection', () => true, 5000)));

    // Every acked message is stored; some unacked ones may be too (stored, then the socket closed).
    const before = new Map<string, WireMessage>();
    for (const s of senders) {
      for (const m of await allMessages(second.url, s.user, bob.user._id))
        before.set(m.clientMessageId ?? '', m);
      for (const [id, messageId] of s.acked)
        assert.equal(before.get(id)?._id, messageId, `acked ${id} is stored`);
    }
    const unackedWhy = [...new Set(senders.flatMap((s) => [...s.unacked.values()]))];
    const unackedCount = senders.reduce((n, s) => n + s.unacked.size, 0);
    let storedButUnacked = 0;
    for (const s of senders) {
      for (const id of [...s.unacked.keys()]) {
        const earlier = before.get(id);
        if (earlier) storedButUnacked++;
        await s.send(bob.user._id, id);
        assert.equal(s.unacked.get(id), undefined, `retry of ${id} is acked`);
        if (earlier) assert.equal(s.acked.get(id), earlier._id, `retry of ${id} answers with the stored one`);
      }
    }

    // Exactly once: each sender's messages are what it sent, each clientMessageId once.
    for (const s of senders) {
      const stored = await allMessages(second.url, s.user, bob.user._id);
      const ids = stored.map((m) => m.clientMessageId);
      assert.equal(new Set(ids).size, ids.length, 'no clientMessageId stored twice');
      assert.deepEqual(new Set(ids), new Set(s.acked.keys()), 'every message stored, nothing else');
      for (const m of stored) {
        assert.equal(m._id, s.acked.get(m.clientMessageId ?? ''));
        assert.equal(m.content, `load ${m.clientMessageId}`);
      }
    }
    t.diagnostic(
      `${signal}: exit 0 after ${shutdownMs} ms; disconnect reasons: ${reasons.join(' | ')}; ` +
        `${ackedCount()} messages stored; not acked at shutdown: ${unackedCount} (${unackedWhy.join('; ')}), ` +
        `of which ${storedButUnacked} were already stored`,
    );
  } finally {
    senders.forEach((s) => s.client.close());
    await first.stop();
    if (second) {
      await second.stop();
      assert.equal(await second.exited, 'code 0', second.describe());
    }
  }
}

describe('graceful shutdown of a real process under load (SQLite)', () => {
  after(async () => {
    await Promise.all([...nodes].map((n) => n.stop()));
    process.off('exit', killAll);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM: exits 0, acked messages are kept, clients reconnect, retries are stored once', (t) =>
    shutdownUnderLoad(t, 'SIGTERM', { senders: 3, lanes: 2, ackedBeforeSignal: 60 }));

  it('SIGINT behaves the same', (t) =>
    shutdownUnderLoad(t, 'SIGINT', { senders: 1, lanes: 2, ackedBeforeSignal: 20 }));
});
