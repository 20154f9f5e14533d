import type { RedisClient } from '../redis/redis-connection.js';
import type { Presence } from './presence.js';
import {
  connectScript,
  disconnectScript,
  isOnlineScript,
  onlineAmongScript,
  onlineScript,
  reapScript,
  refreshScript,
} from './redis-presence-scripts.js';

const REFRESH_BATCH = 500;
const REAP_BATCH = 500;

/**
 * Presence shared by every process through Redis: one entry per connection, with a TTL that this process
 * refreshes every `ttlMs / 3` for the connections it holds. If the process dies, its entries lapse and
 * the next `expire` (run by any process) reports those users offline. Bookkeeping runs in Lua scripts,
 * so two tabs closing on two processes at once give exactly one "went offline".
 *
 * @example const presence = new RedisPresence(client, { prefix: 'parley:', ttlMs: 30_000 }); presence.start();
 */
export class RedisPresence implements Presence {
  /** This process's connections, to refresh: user id → connection ids. */
  private readonly local = new Map<string, Set<string>>();
  private readonly usersKey: string;
  private readonly connsPrefix: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly options: { prefix: string; ttlMs: number; onError?: (err: unknown) => void },
  ) {
    this.usersKey = `${options.prefix}presence:users`;
    this.connsPrefix = `${options.prefix}presence:conns:`;
  }

  /** Starts refreshing this process's entries. */
  start(): void {
    this.timer ??= setInterval(
      () => {
        this.refresh().catch((err: unknown) => this.options.onError?.(err));
      },
      Math.max(250, Math.floor(this.options.ttlMs / 3)),
    );
    this.timer.unref();
  }

  async connect(userId: string, connectionId: string): Promise<boolean> {
    let set = this.local.get(userId);
    if (!set) this.local.set(userId, (set = new Set()));
    set.add(connectionId);
    const keys = [this.connsPrefix + userId, this.usersKey];
    return (await connectScript.run(this.client, keys, [userId, connectionId, this.options.ttlMs])) === 1;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.local.get(userId);
    set?.delete(connectionId);
    if (set?.size === 0) this.local.delete(userId);
    const keys = [this.connsPrefix + userId, this.usersKey];
    return (await disconnectScript.run(this.client, keys, [userId, connectionId])) === 1;
  }

  async onlineUserIds(): Promise<string[]> {
    return (await onlineScript.run(this.client, [this.usersKey], [])) as string[];
  }

  async onlineAmong(userIds: readonly string[]): Promise<string[]> {
    const online: string[] = [];
    // Chunked: Lua's unpack has a stack limit of a few thousand values.
    for (let i = 0; i < userIds.length; i += 1000) {
      const chunk = userIds.slice(i, i + 1000);
      const flags = (await onlineAmongScript.run(this.client, [this.usersKey], chunk)) as number[];
      chunk.forEach((id, k) => flags[k] === 1 && online.push(id));
    }
    return online;
  }

  async isOnline(userId: string): Promise<boolean> {
    return (await isOnlineScript.run(this.client, [this.usersKey], [userId])) === 1;
  }

  async expire(): Promise<string[]> {
    const gone: string[] = [];
    for (;;) {
      const batch = (await reapScript.run(
        this.client,
        [this.usersKey],
        [this.connsPrefix, REAP_BATCH],
      )) as string[];
      gone.push(...batch);
      if (batch.length < REAP_BATCH) return gone;
    }
  }

  /** Extends (or, after Redis lost its data, re-creates) the entries of this process's connections. */
  async refresh(): Promise<void> {
    let pairs: string[] = [];
    const flush = async () => {
      if (pairs.length === 0) return;
      const args = [this.connsPrefix, String(this.options.ttlMs), ...pairs];
      pairs = [];
      await refreshScript.run(this.client, [this.usersKey], args);
    };
    for (const [userId, connections] of this.local) {
      for (const connectionId of connections) {
        pairs.push(userId, connectionId);
        if (pairs.length >= REFRESH_BATCH * 2) await flush();
      }
    }
    await flush();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
