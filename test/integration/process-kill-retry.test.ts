import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerUser, type Registered } from '../support/http.js';
import { RetryingSender, checkStored, waitStored } from '../support/retrying-sender.js';
import { scaleOutSkip } from '../support/services.js';
import { connectClient, sleep } from '../support/socket.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startCluster, withOutput, type Cluster, type ClusterNode } from './cluster-support.js';

/**
 * Three Parley processes on PostgreSQL + Redis under steady sending; one is SIGKILLed mid-load. Its
 * clients reconnect to a survivor and re-send every message not yet acked, with the same clientMessageId.
 * PostgreSQL must then hold every message exactly once, and every message must end up acked. The case the
 * unique index exists for is made to happen: the victim's replies are held back by a proxy while it stores
 * a burst, so those messages are stored but never acked, and their retries are answered from storage.
 */

const SENDERS_PER_PROCESS = 2;
const LOAD_BEFORE_KILL_MS = 2000;
const LOAD_AFTER_KILL_MS = 2000;
const BURST = 30;

describe('a process killed while its clients send', { skip: await scaleOutSkip() }, () => {
  let cluster: Cluster;
  let nodes: ClusterNode[];
  const senders: RetryingSender[] = [];
  /** In front of the victim, so that its replies can be held back while it keeps storing. */
  let proxy: TcpProxy;

  /** A socket on the first of `urls()` that accepts one. */
  const connectVia = (urls: () => string[]) => async (token: string) => {
    let lastError: unknown = new Error('no process left');
    for (const url of urls()) {
      try {
        return await connectClient(url, token);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  };
  /** `preferred` first, then the other processes still alive. */
  const aliveFrom = (preferred: number) => () =>
    nodes
      .map((_, i) => nodes[(preferred + i) % nodes.length]!)
      .filter((n) => n.alive)
      .map((n) => n.url);

  before(async () => {
    cluster = await startCluster(3, { RATE_LIMITS: 'off' });
    nodes = cluster.nodes;
    proxy = await TcpProxy.start(nodes[2]!.port);
  });
  after(async () => {
    for (const sender of senders) sender.close();
    await proxy?.close();
    await cluster?.stop();
  });

  it('stores every message exactly once and acks them all after clients retry on a survivor', () =>
    withOutput(cluster, async () => {
      const users: Registered[] = [];
      for (let i = 0; i < nodes.length * SENDERS_PER_PROCESS; i++)
        users.push(await registerUser(nodes[i % nodes.length]!.url, { name: `Sender ${i}` }));
      const proxyUrl = `http://127.0.0.1:${proxy.port}`;
      users.forEach((user, i) => {
        const partner = users[(i + 1) % users.length]!;
        senders.push(
          new RetryingSender({
            name: `s${i}`,
            token: user.token,
            senderId: user.user._id,
            receiverId: partner.user._id,
            // The victim's clients reach it through the proxy; once it is dead, a survivor.
            connect:
              i % nodes.length === 2
                ? connectVia(() => [...(nodes[2]!.alive ? [proxyUrl] : []), ...aliveFrom(0)()])
                : connectVia(aliveFrom(i % nodes.length)),
            intervalMs: 30,
            window: 3,
          }),
        );
      });
      await Promise.all(senders.map((s) => s.open()));
      const victim = nodes[2]!;
      const victims = senders.filter((_, i) => i % nodes.length === 2);
      const survivors = senders.filter((s) => !victims.includes(s));
      assert.equal(victims.length, SENDERS_PER_PROCESS);

      for (const sender of senders) sender.start();
      await sleep(LOAD_BEFORE_KILL_MS);
      // The victim's replies are held back, a burst is sent to it, and once it has stored all of the burst
      // it is killed: every one of those messages is stored, yet its ack is lost with the process.
      for (const sender of victims) sender.stopGenerating();
      proxy.holdReplies();
      const burst = victims.flatMap((sender) => sender.burst(BURST));
      const storedAtKill = await waitStored(cluster.databaseUrl, burst, 10_000);
      const inFlightAtKill = victims.reduce((n, s) => n + s.pending.size, 0);
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      for (const sender of victims) sender.start();
      assert.equal(await victim.exited, 'SIGKILL');
      await sleep(LOAD_AFTER_KILL_MS);
      for (const sender of senders) sender.stopGenerating();
      const drained = await Promise.all(senders.map((s) => s.drain(10_000)));

      const check = await checkStored(cluster.databaseUrl, senders);
      const sum = (f: (s: RetryingSender) => number, of = senders) => of.reduce((n, s) => n + f(s), 0);
      // Retries answered with a message stored before the reconnect: the dead process stored it, but its
      // ack never arrived. Only the unique index on (sender, clientMessageId) kept those single.
      let storedButUnacked = 0;
      for (const sender of victims)
        for (const { unacked, reconnectedAt = 0 } of sender.disconnects)
          for (const cmid of unacked) {
            const message = sender.acked.get(cmid);
            if (message && Date.parse(message.sentAt) < reconnectedAt) storedButUnacked += 1;
          }
      const failures = new Map<string, number>();
      for (const s of senders)
        for (const [why, n] of s.failures) failures.set(why, (failures.get(why) ?? 0) + n);
      const figures = {
        created: sum((s) => s.created),
        attempts: sum((s) => s.attempts),
        acked: sum((s) => s.acked.size),
        retried: sum((s) => s.retries),
        stored: check.stored,
        duplicates: check.duplicates,
        lost: check.lost.length,
        unconfirmed: check.unconfirmed.length,
        victimUnackedAtKill: inFlightAtKill,
        victimStoredButUnacked: storedButUnacked,
        reconnects: sum((s) => s.reconnects),
        failures: Object.fromEntries(failures),
        msFromKillToReconnected: Math.max(
          ...victims.flatMap((s) => s.disconnects.map((d) => (d.reconnectedAt ?? Infinity) - killedAt)),
        ),
      };
      console.log(`kill-retry figures: ${JSON.stringify(figures)}`);

      assert.deepEqual(
        drained,
        senders.map(() => true),
        'every message is eventually acked',
      );
      assert.equal(check.duplicates, 0, 'no clientMessageId is stored twice');
      assert.deepEqual(check.lost, [], 'every acked message is stored, under the id its ack named');
      assert.deepEqual(check.unconfirmed, [], 'nothing is stored that was never acked');
      assert.equal(storedAtKill, burst.length, 'the victim stored the whole burst before it was killed');
      assert.ok(
        storedButUnacked >= burst.length,
        `every burst message was stored but unacked, and answered from storage on a retry (${storedButUnacked})`,
      );
      assert.equal(figures.acked, figures.created, 'every created message is acked');
      assert.equal(check.stored, figures.created, 'one row per message');
      for (const sender of senders) assert.deepEqual(sender.conflicts, [], `${sender.name}: acks agree`);

      // The victims' clients lost their socket once and carried on from a survivor; the others never did.
      for (const sender of victims) {
        assert.equal(sender.reconnects, 1, `${sender.name} reconnected once`);
        assert.ok(sender.client.socket.connected, `${sender.name} is connected to a survivor`);
      }
      for (const sender of survivors) assert.equal(sender.reconnects, 0, `${sender.name} kept its socket`);
      assert.ok(sum((s) => s.acked.size, victims) > 0, 'the victims sent before and after the kill');
      assert.ok(nodes[0]!.alive && nodes[1]!.alive, 'the survivors keep running');
    }));
});
