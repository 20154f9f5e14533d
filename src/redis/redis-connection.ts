import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { Logger } from '../services/ports.js';

export type RedisClient = ReturnType<typeof createClient>;

/** The URL without its password, for logs and error messages. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
};

/**
 * Opens a Redis connection that reconnects forever with backoff. `failFast` commands reject at once
 * while disconnected (for request paths); otherwise they wait in the offline queue (for subscriptions,
 * which must be re-established on reconnect). Rejects if the first connection is not made in time.
 */
export async function connectRedis(options: {
  url: string;
  logger: Logger;
  name: string;
  failFast: boolean;
  connectTimeoutMs?: number;
}): Promise<RedisClient> {
  const { url, logger, name } = options;
  const client = createClient({
    url,
    name: `parley-${name}`,
    disableOfflineQueue: options.failFast,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 6), 5000),
    },
  });
  let down = false;
  // Unhandled, a client 'error' would end the process; log each outage once.
  client.on('error', (err: unknown) => {
    if (!down) logger.warn({ err, redis: name }, 'Redis connection lost; reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: name }, 'Redis connection restored');
    down = false;
  });

  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Cannot connect to Redis at ${redactUrl(url)} within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.connect(), timeout]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return client as RedisClient;
}

/**
 * A Lua script run by EVALSHA, falling back to EVAL when Redis does not have it cached (first use, or
 * after a Redis restart).
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: Array<string | number>): Promise<unknown> {
    const options = { keys, arguments: args.map(String) };
    try {
      return await client.evalSha(this.sha, options);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      return client.eval(this.source, options);
    }
  }
}
