import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisTypingState } from '../../src/presence/redis-typing-state.js';
import { connectRedis, type RedisClient } from '../../src/redis/redis-connection.js';
import type { Logger } from '../../src/services/ports.js';
import { createTestRedisPrefix, redisSkip, TEST_REDIS_URL } from '../support/services.js';
import { typingStateContract } from './typing-state-contract.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let clients = 0;
const connect = (): Promise<RedisClient> =>
  connectRedis({
    url: TEST_REDIS_URL,
    logger: silent,
    name: `typing-test-${(clients += 1)}`,
    failFast: true,
  });

/** Opens `count` RedisTypingStates on one fresh prefix, each with its own connection (one per process). */
async function openShared(count: number) {
  const prefix = createTestRedisPrefix();
  const nodes: Array<{ state: RedisTypingState; client: RedisClient }> = [];
  for (let i = 0; i < count; i += 1) {
    const client = await connect();
    nodes.push({ state: new RedisTypingState(client, { prefix: prefix.prefix }), client });
  }
  return {
    states: nodes.map((n) => n.state),
    close: async () => {
      for (const { state, client } of nodes) {
        await state.close();
        if (client.isOpen) await client.close();
      }
      await prefix.clear();
    },
  };
}

describe('RedisTypingState', { skip: await redisSkip() }, () => {
  typingStateContract('RedisTypingState', async () => {
    const shared = await openShared(1);
    return { state: shared.states[0]!, close: shared.close };
  });

  describe('two processes sharing a prefix', () => {
    let shared: Awaited<ReturnType<typeof openShared>>;
    let a: RedisTypingState;
    let b: RedisTypingState;

    before(async () => {
      shared = await openShared(2);
      [a, b] = shared.states as [RedisTypingState, RedisTypingState];
    });
    after(() => shared?.close());

    it('concurrent expired() calls get each lapsed state exactly once in total', async () => {
      // More states than one claiming batch (500), started from both processes.
      const typists = Array.from({ length: 40 }, () => randomUUID());
      const receivers = Array.from({ length: 16 }, () => randomUUID());
      const expected: string[] = [];
      await Promise.all(
        typists.flatMap((typist, i) =>
          receivers.map((receiver) => {
            expected.push(`${typist}>${receiver}`);
            return (i % 2 ? a : b).start(typist, receiver, 100);
          }),
        ),
      );
      const active = randomUUID();
      await a.start(active, receivers[0]!, 60_000);
      await sleep(250);

      const results = await Promise.all([a.expired(), b.expired(), a.expired(), b.expired()]);
      const claimed = results.flat().map((e) => `${e.typistId}>${e.conversationId}`);
      assert.equal(claimed.length, expected.length, 'no state may be claimed twice');
      assert.deepEqual(claimed.sort(), expected.sort());
      assert.deepEqual(await Promise.all([a.expired(), b.expired()]), [[], []]);
      assert.equal(await b.stop(active, receivers[0]!), true, 'the active state was not claimed');
    });

    it('a state started on one process can be stopped on the other', async () => {
      const [typist, receiver] = [randomUUID(), randomUUID()];
      await a.start(typist, receiver, 60_000);
      assert.deepEqual(await b.stopAll(typist), [receiver]);
      assert.equal(await a.stop(typist, receiver), false);
    });
  });
});
