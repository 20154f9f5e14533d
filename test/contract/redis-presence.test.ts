import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisPresence } from '../../src/presence/redis-presence.js';
import { connectRedis, type RedisClient } from '../../src/redis/redis-connection.js';
import type { Logger } from '../../src/services/ports.js';
import { createTestRedisPrefix, redisSkip, TEST_REDIS_URL } from '../support/services.js';
import { presenceContract } from './presence-contract.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const skip = await redisSkip();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A RedisPresence with its own Redis connection, standing for one process of a deployment. */
interface Node {
  presence: RedisPresence;
  client: RedisClient;
  close(): Promise<void>;
}

let clients = 0;
async function openNode(prefix: string, ttlMs: number): Promise<Node> {
  const client = await connectRedis({
    url: TEST_REDIS_URL,
    logger: silent,
    name: `presence-test-${(clients += 1)}`,
    failFast: true,
  });
  const presence = new RedisPresence(client, { prefix, ttlMs });
  return {
    presence,
    client,
    close: async () => {
      await presence.close();
      if (client.isOpen) await client.close();
    },
  };
}

/** Opens `count` nodes sharing one fresh prefix; `close` closes them and clears the prefix. */
async function openCluster(count: number, ttlMs: number) {
  const prefix = createTestRedisPrefix();
  const nodes: Node[] = [];
  for (let i = 0; i < count; i += 1) nodes.push(await openNode(prefix.prefix, ttlMs));
  return {
    prefix,
    nodes,
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await prefix.clear();
    },
  };
}

describe('RedisPresence', { skip }, () => {
  presenceContract('RedisPresence', async () => {
    const cluster = await openCluster(1, 30_000);
    const node = cluster.nodes[0]!;
    node.presence.start();
    return { presence: node.presence, close: cluster.close };
  });

  describe('two processes sharing a prefix', () => {
    let cluster: Awaited<ReturnType<typeof openCluster>>;
    let a: RedisPresence;
    let b: RedisPresence;

    before(async () => {
      cluster = await openCluster(2, 30_000);
      [a, b] = cluster.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
    });
    after(() => cluster?.close());

    /** Runs the calls concurrently, started in a random order with random small delays. */
    const shuffled = <T>(calls: Array<() => Promise<T>>): Promise<T[]> =>
      Promise.all(
        calls
          .map((call) => ({ call, key: Math.random() }))
          .sort((x, y) => x.key - y.key)
          .map(async ({ call }) => {
            const pause = Math.floor(Math.random() * 3);
            if (pause === 1) await new Promise((resolve) => setImmediate(resolve));
            if (pause === 2) await sleep(1);
            return call();
          }),
      );
    const trues = (results: boolean[]) => results.filter(Boolean).length;

    it('a user with one connection on each, closed at once, goes offline exactly once', async () => {
      for (let round = 0; round < 150; round += 1) {
        const user = randomUUID();
        const connects = await shuffled([() => a.connect(user, 'tab-a'), () => b.connect(user, 'tab-b')]);
        assert.equal(trues(connects), 1, `round ${round}: exactly one connect brings the user online`);
        assert.equal(await b.isOnline(user), true);
        const disconnects = await shuffled([
          () => a.disconnect(user, 'tab-a'),
          () => b.disconnect(user, 'tab-b'),
        ]);
        assert.equal(trues(disconnects), 1, `round ${round}: exactly one disconnect reports offline`);
        assert.equal(await a.isOnline(user), false);
        assert.equal((await b.onlineUserIds()).includes(user), false);
      }
    });

    it('several connections per process, connected and closed at once, give one transition each way', async () => {
      for (let round = 0; round < 50; round += 1) {
        const user = randomUUID();
        const tabs = Array.from({ length: 2 + Math.floor(Math.random() * 5) }, (_, i) => ({
          presence: Math.random() < 0.5 ? a : b,
          id: `tab-${i}`,
        }));
        const connects = await shuffled(tabs.map((t) => () => t.presence.connect(user, t.id)));
        assert.equal(trues(connects), 1, `round ${round}: one came-online`);
        const disconnects = await shuffled(tabs.map((t) => () => t.presence.disconnect(user, t.id)));
        assert.equal(trues(disconnects), 1, `round ${round}: one went-offline`);
        assert.equal(await a.isOnline(user), false);
      }
    });
  });

  describe('expiry (ttl 1000 ms)', () => {
    const TTL = 1000;
    let lone: Awaited<ReturnType<typeof openCluster>>;
    let racing: Awaited<ReturnType<typeof openCluster>>;
    let kept: Awaited<ReturnType<typeof openCluster>>;
    const loneUser = randomUUID();
    const racingUsers = Array.from({ length: 5 }, () => randomUUID());
    const keptUser = randomUUID();
    const mixedUser = randomUUID();

    // Every scenario is set up first and shares one wait past the TTL.
    before(async () => {
      [lone, racing, kept] = await Promise.all([
        openCluster(2, TTL),
        openCluster(2, TTL),
        openCluster(2, TTL),
      ]);
      assert.equal(await lone.nodes[0]!.presence.connect(loneUser, 'c1'), true);
      assert.equal(await lone.nodes[0]!.presence.connect(loneUser, 'c2'), false);
      for (const user of racingUsers) await racing.nodes[0]!.presence.connect(user, 'c1');
      // kept: node 0 refreshes its entries, node 1 does not.
      kept.nodes[0]!.presence.start();
      await kept.nodes[0]!.presence.connect(keptUser, 'c1');
      await kept.nodes[1]!.presence.connect(mixedUser, 'lapsing');
      await kept.nodes[0]!.presence.connect(mixedUser, 'refreshed');
      await sleep(TTL + 300);
    });
    after(() => Promise.all([lone, racing, kept].map((c) => c?.close())));

    it('without refresh, the connections lapse and the user is no longer online', async () => {
      const [first, other] = lone.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
      assert.equal((await other.onlineUserIds()).includes(loneUser), false);
      assert.equal((await first.onlineUserIds()).includes(loneUser), false);
      assert.equal(await other.isOnline(loneUser), false);
    });

    it('expire on the other process reports the user exactly once', async () => {
      const [first, other] = lone.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
      assert.deepEqual(await other.expire(), [loneUser]);
      assert.deepEqual(await other.expire(), []);
      assert.deepEqual(await first.expire(), []);
      // The lapsed connections are gone: their late disconnects report nothing.
      assert.equal(await first.disconnect(loneUser, 'c1'), false);
      assert.equal(await first.disconnect(loneUser, 'c2'), false);
      // And the user can come online again.
      assert.equal(await first.connect(loneUser, 'c3'), true);
      assert.equal(await other.disconnect(loneUser, 'c3'), true);
    });

    it('concurrent expire calls of both processes report each lapsed user once in total', async () => {
      const [first, other] = racing.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
      const [x, y] = await Promise.all([first.expire(), other.expire()]);
      const reported = [...x, ...y].sort();
      assert.deepEqual(reported, [...racingUsers].sort());
      assert.deepEqual(await Promise.all([first.expire(), other.expire()]), [[], []]);
    });

    it('with start(), refreshed connections keep the user online past the TTL', async () => {
      const [refreshing, other] = kept.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
      assert.equal(await other.isOnline(keptUser), true);
      assert.equal(await other.isOnline(mixedUser), true, 'one refreshed connection keeps the user online');
      const online = await other.onlineUserIds();
      assert.ok(online.includes(keptUser) && online.includes(mixedUser));
      assert.deepEqual(await other.expire(), []);
      // The lapsed connection no longer counts: closing the refreshed one takes the user offline.
      assert.equal(await refreshing.disconnect(mixedUser, 'refreshed'), true);
      assert.equal(await refreshing.disconnect(keptUser, 'c1'), true);
    });
  });

  describe('refresh after Redis lost its data', () => {
    it('re-creates the entries of the process’s connections', async () => {
      const cluster = await openCluster(2, 30_000);
      try {
        const [holder, other] = cluster.nodes.map((n) => n.presence) as [RedisPresence, RedisPresence];
        const [u1, u2] = [randomUUID(), randomUUID()];
        await holder.connect(u1, 'c1');
        await holder.connect(u1, 'c2');
        await holder.connect(u2, 'c1');
        await holder.connect(u2, 'gone');
        await holder.disconnect(u2, 'gone');
        await cluster.prefix.clear();
        assert.equal(await other.isOnline(u1), false, 'the keys were deleted');
        assert.deepEqual(await other.onlineUserIds(), []);

        await holder.refresh();
        assert.equal(await other.isOnline(u1), true);
        assert.deepEqual((await other.onlineUserIds()).sort(), [u1, u2].sort());
        // Exactly the held connections came back: one disconnect each is not the last for u1, then is.
        assert.equal(await holder.disconnect(u2, 'gone'), false, 'a closed connection is not re-created');
        assert.equal(await holder.disconnect(u1, 'c1'), false);
        assert.equal(await holder.disconnect(u1, 'c2'), true);
        assert.equal(await holder.disconnect(u2, 'c1'), true);
        assert.deepEqual(await other.onlineUserIds(), []);
        assert.deepEqual(await other.expire(), []);
      } finally {
        await cluster.close();
      }
    });
  });
});
