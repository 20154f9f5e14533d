import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { RedisServer, redisServerSkip } from '../support/redis-server.js';
import { RetryingSender, checkStored } from '../support/retrying-sender.js';
import { postgresSkip } from '../support/services.js';
import { connectClient, sleep, type TestClient } from '../support/socket.js';
import {
  PRESENCE_TTL_MS,
  WAIT,
  aboutUser,
  startCluster,
  withOutput,
  type Cluster,
  type ClusterNode,
} from './cluster-support.js';

/**
 * Two Parley processes on PostgreSQL and a private `redis-server`, under steady sending. Redis is
 * SIGKILLed and started again, empty, on the same port. Messages must keep being stored exactly once, the
 * processes must survive, fan-out and presence must come back, and /readyz must say what is going on.
 */

const LOAD_BEFORE_MS = 1500;
const OUTAGE_MS = 1500;
const LOAD_AFTER_MS = 1500;

type Offline = { userId: string; lastSeen: string };

const skip = (await postgresSkip()) || redisServerSkip();

describe('a Redis restart under load', { skip }, () => {
  let redis: RedisServer;
  let cluster: Cluster;
  let nodes: ClusterNode[];
  const senders: RetryingSender[] = [];
  const others: TestClient[] = [];

  const readyz = async (node: ClusterNode) => {
    const res = await http(node.url, 'GET', '/readyz');
    return { status: res.status, body: res.body as { checks: Record<string, string> } };
  };
  /** Polls /readyz on every process until each answers `status`; resolves when, in ms from `since`. */
  const everyReadyz = async (status: number, since: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    const seen: unknown[] = [];
    for (const node of nodes) {
      for (;;) {
        const res = await readyz(node);
        if (res.status === status) {
          seen.push(res.body);
          break;
        }
        assert.ok(Date.now() < deadline, `${node.name} /readyz still ${res.status}, expected ${status}`);
        await sleep(50);
      }
    }
    return { ms: Date.now() - since, bodies: seen };
  };
  /** The users a fresh socket of `watcher` on `node` is told are online. */
  const onlineSeenFrom = async (node: ClusterNode, watcher: Registered) => {
    const tab = await connectClient(node.url, watcher.token);
    try {
      const list = await tab.next<Array<{ userId: string }>>('online_users', () => true, WAIT);
      return new Set(list.map((u) => u.userId));
    } finally {
      tab.close();
    }
  };

  before(async () => {
    redis = await RedisServer.start();
    cluster = await startCluster(2, { RATE_LIMITS: 'off' }, { redisUrl: redis.url });
    nodes = cluster.nodes;
  });
  after(async () => {
    for (const sender of senders) sender.close();
    for (const client of others) client.close();
    await cluster?.stop();
    await redis?.stop();
  });

  it('keeps storing, recovers fan-out, presence and readiness, and no process crashes', () =>
    withOutput(cluster, async () => {
      // Four senders, two per process, in pairs across the processes (0 and 1, 2 and 3).
      const users: Registered[] = [];
      for (let i = 0; i < 4; i++) users.push(await registerUser(nodes[i % 2]!.url, { name: `Sender ${i}` }));
      const partnerOf = (i: number) => i ^ 1;
      users.forEach((user, i) => {
        senders.push(
          new RetryingSender({
            name: `s${i}`,
            token: user.token,
            senderId: user.user._id,
            receiverId: users[partnerOf(i)]!.user._id,
            connect: async (token) => {
              const client = await connectClient(nodes[i % 2]!.url, token);
              await client.next('online_users', () => true, WAIT);
              return client;
            },
            intervalMs: 40,
            window: 2,
          }),
        );
      });
      await Promise.all(senders.map((s) => s.open()));
      const [leaver, joiner, watcher] = [
        await registerUser(nodes[0]!.url, { name: 'Leaves During Outage' }),
        await registerUser(nodes[1]!.url, { name: 'Joins During Outage' }),
        await registerUser(nodes[0]!.url, { name: 'Presence Watcher' }),
      ];
      const leaverTab = await connectClient(nodes[0]!.url, leaver.token);
      others.push(leaverTab);
      await leaverTab.next('online_users', () => true, WAIT);
      const stayed = users.map((u) => u.user._id);
      for (const node of nodes) {
        const online = await onlineSeenFrom(node, watcher);
        for (const id of [...stayed, leaver.user._id]) assert.ok(online.has(id), `${id} online before`);
      }

      const events = (event: string, id: string) =>
        [...senders.flatMap((s) => s.clients), ...others]
          .flatMap((c) => c.all<Offline>(event))
          .filter(aboutUser(id)).length;

      for (const sender of senders) sender.start();
      await sleep(LOAD_BEFORE_MS);

      const onlineAboutStayed = () => stayed.reduce((n, id) => n + events('user_online', id), 0);
      const onlineAboutStayedBefore = onlineAboutStayed();
      const killedAt = Date.now();
      await redis.kill();
      const down = await everyReadyz(503, killedAt, 5000);
      for (const body of down.bodies)
        assert.deepEqual(body, {
          message: 'Not ready',
          status: 'unavailable',
          checks: { storage: 'ok', redis: 'unavailable' },
        });
      // One user leaves and one arrives while Redis is down.
      leaverTab.close();
      const joinerTab = await connectClient(nodes[1]!.url, joiner.token);
      others.push(joinerTab);
      assert.deepEqual(await joinerTab.next('online_users', () => true, WAIT), [], 'empty list while down');
      await sleep(Math.max(0, killedAt + OUTAGE_MS - Date.now()));

      const restartedAt = Date.now();
      await redis.restart();
      const up = await everyReadyz(200, Date.now(), 10_000);
      const readyAt = Date.now();
      // Watched while the load goes on: when both processes list who is really connected.
      const convergence = (async () => {
        const deadline = Date.now() + 3 * PRESENCE_TTL_MS;
        for (;;) {
          const views = await Promise.all(nodes.map((node) => onlineSeenFrom(node, watcher)));
          const expected = [...stayed, joiner.user._id];
          if (views.every((v) => expected.every((id) => v.has(id)) && !v.has(leaver.user._id)))
            return Date.now() - restartedAt;
          if (Date.now() > deadline)
            assert.fail(`presence did not converge: ${JSON.stringify(views.map((v) => [...v]))}`);
          await sleep(100);
        }
      })();
      convergence.catch(() => undefined); // awaited below
      await sleep(LOAD_AFTER_MS);
      for (const sender of senders) sender.stopGenerating();
      const drained = await Promise.all(senders.map((s) => s.drain(10_000)));
      const lastAcked = senders.map((s) => [...s.acked.values()].at(-1));

      // Cross-process delivery is back: each sender's last message reaches its partner.
      for (const [i, sender] of senders.entries()) {
        const partner = senders[partnerOf(i)]!;
        const last = lastAcked[i];
        assert.ok(last, `${sender.name} had messages acked`);
        assert.ok(Date.parse(last.sentAt) > restartedAt, `${sender.name} sent after the restart`);
        await partner.client.next<WireMessage>('receive_message', (m) => m._id === last._id, WAIT);
      }
      // The room of a socket that connected while Redis was down is subscribed once it is back.
      const toJoiner = await http(nodes[0]!.url, 'POST', '/api/messages', {
        token: watcher.token,
        body: { receiverId: joiner.user._id, content: 'welcome back' },
      });
      assert.equal(toJoiner.status, 201, JSON.stringify(toJoiner.body));
      const welcome = (toJoiner.body as { message: WireMessage }).message;
      await joinerTab.next<WireMessage>('receive_message', (m) => m._id === welcome._id, WAIT);
      // Presence converges: the users who stayed and the one who joined, not the one who left.
      const converged = await convergence;
      await sleep(PRESENCE_TTL_MS); // a few more refreshes and sweeps

      // What each sender was told, by phase (a message's phase is its stored sentAt); fan-out published in
      // the last moments before the kill may die with Redis, hence the margin.
      const phase = (m: WireMessage) => {
        const t = Date.parse(m.sentAt);
        if (t < killedAt - 250) return 'before';
        return t < killedAt ? 'justBeforeKill' : t < readyAt ? 'outage' : 'after';
      };
      const delivery: Record<string, { acked: number; delivered: number }> = {};
      for (const [i, sender] of senders.entries()) {
        const got = new Set(senders[partnerOf(i)]!.received().map((m) => m._id));
        for (const m of sender.acked.values()) {
          const row = (delivery[phase(m)] ??= { acked: 0, delivered: 0 });
          row.acked += 1;
          if (got.has(m._id)) row.delivered += 1;
        }
      }
      const check = await checkStored(cluster.databaseUrl, senders);
      const failures: Record<string, number> = {};
      for (const s of senders) for (const [why, n] of s.failures) failures[why] = (failures[why] ?? 0) + n;
      const outputs = nodes.map((n) => n.describe());
      const logged = (text: string) => outputs.reduce((n, o) => n + o.split(text).length - 1, 0);
      const figures = {
        msUntil503: down.ms,
        msFromRedisAnsweringUntil200: up.ms,
        msFromRestartUntilPresenceConverged: converged,
        created: senders.reduce((n, s) => n + s.created, 0),
        acked: senders.reduce((n, s) => n + s.acked.size, 0),
        retried: senders.reduce((n, s) => n + s.retries, 0),
        stored: check.stored,
        duplicates: check.duplicates,
        lost: check.lost.length,
        failures,
        delivery,
        strayUserOffline: stayed.reduce((n, id) => n + events('user_offline', id), 0),
        userOnlineAboutStayedSinceKill: onlineAboutStayed() - onlineAboutStayedBefore,
        leaverUserOffline: events('user_offline', leaver.user._id),
        joinerUserOnline: events('user_online', joiner.user._id),
        unhandledRejectionsLogged: logged('unhandled rejection'),
      };
      console.log(`redis-restart figures: ${JSON.stringify(figures)}`);

      assert.ok(
        nodes.every((n) => n.alive),
        'no process crashed',
      );
      assert.ok((await readyz(nodes[0]!)).status === 200 && (await readyz(nodes[1]!)).status === 200);
      for (const sender of senders) assert.equal(sender.reconnects, 0, `${sender.name} kept its socket`);
      assert.deepEqual(drained, [true, true, true, true], 'every message is eventually acked');
      assert.equal(check.duplicates, 0);
      assert.deepEqual(check.lost, []);
      assert.deepEqual(check.unconfirmed, []);
      assert.equal(check.stored, figures.created, 'one row per message');
      assert.ok(delivery.outage && delivery.outage.acked > 0, 'messages were stored while Redis was down');
      assert.equal(delivery.before?.delivered, delivery.before?.acked, 'delivered before the outage');
      assert.equal(figures.strayUserOffline, 0, 'no user_offline for users who stayed connected');
    }));
});
