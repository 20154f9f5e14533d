import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Config } from './config.js';
import { MemoryPresence } from './presence/memory-presence.js';
import { MemoryTypingState } from './presence/memory-typing-state.js';
import type { Presence } from './presence/presence.js';
import { RedisPresence } from './presence/redis-presence.js';
import { RedisTypingState } from './presence/redis-typing-state.js';
import type { TypingState } from './presence/typing-state.js';
import { connectRedis, redactUrl, type RedisClient } from './redis/redis-connection.js';
import type { Logger } from './services/ports.js';
import type { ParleyServer } from './transport/socket/socket-types.js';

export interface Realtime {
  presence: Presence;
  typingState: TypingState;
  redis?: { commands: RedisClient; subscriber: RedisClient };
}

/** In memory by default; with REDIS_URL, presence, typing and Socket.IO fan-out go through Redis. */
export async function openRealtime(
  config: Readonly<Config>,
  logger: Logger,
  io: ParleyServer,
): Promise<Realtime> {
  if (!config.redisUrl) {
    logger.info({ presence: 'memory', fanout: 'memory' }, 'realtime ready');
    return { presence: new MemoryPresence(), typingState: new MemoryTypingState() };
  }
  const url = config.redisUrl;
  const commands = await connectRedis({ url, logger, name: 'commands', failFast: true });
  const subscriber = await connectRedis({ url, logger, name: 'subscriber', failFast: false }).catch(
    async (err: unknown) => {
      commands.destroy();
      throw err;
    },
  );
  // Sharded pub/sub with a channel per user room: a process receives only the emits for users it holds
  // (docs/scaling.md). Classic pub/sub sends every emit to every process.
  const channel = `${config.redisPrefix}socket.io`;
  io.adapter(
    config.redisAdapter === 'sharded'
      ? createShardedAdapter(commands, subscriber, { channelPrefix: channel, subscriptionMode: 'dynamic' })
      : createAdapter(commands, subscriber, { key: channel }),
  );
  const presence = new RedisPresence(commands, {
    prefix: config.redisPrefix,
    ttlMs: config.presenceTtlMs,
    onError: (err) => logger.warn({ err }, 'presence refresh failed'),
  });
  presence.start();
  logger.info(
    { presence: 'redis', fanout: `redis-${config.redisAdapter}`, redis: redactUrl(url) },
    'realtime ready',
  );
  return {
    presence,
    typingState: new RedisTypingState(commands, { prefix: config.redisPrefix }),
    redis: { commands, subscriber },
  };
}
