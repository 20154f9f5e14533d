import { LuaScript, type RedisClient } from '../redis/redis-connection.js';
import type { TypingEntry, TypingState } from './typing-state.js';

/*
 * Keys: `<prefix>typing:exp` — ZSET "<typist>|<conversation>" → expiry (Redis clock);
 *       `<prefix>typing:by:<typist>` — SET of the conversations a typist is typing to (for stopAll).
 */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: exp, by. ARGV: member, conversation, ttlMs. */
const startScript = new LuaScript(`${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
-- Only ever lengthen the set's life: a shorter state must not drop a longer one's conversation.
local keep = tonumber(ARGV[3]) * 2
if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
return 1`);

/** KEYS: exp, by. ARGV: member, conversation. */
const stopScript = new LuaScript(`redis.call('SREM', KEYS[2], ARGV[2])
return redis.call('ZREM', KEYS[1], ARGV[1])`);

/** KEYS: exp, by. ARGV: typist. Returns the conversations whose state was still active. */
const stopAllScript = new LuaScript(`local out = {}
for _, r in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('ZREM', KEYS[1], ARGV[1] .. '|' .. r) == 1 then table.insert(out, r) end
end
redis.call('DEL', KEYS[2])
return out`);

/** KEYS: exp. ARGV: by-key prefix, batch size. Claims and returns expired members. */
const expiredScript = new LuaScript(`${NOW}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, m in ipairs(members) do
  redis.call('ZREM', KEYS[1], m)
  local sep = string.find(m, '|', 1, true)
  if sep then redis.call('SREM', ARGV[1] .. string.sub(m, 1, sep - 1), string.sub(m, sep + 1)) end
end
return members`);

const BATCH = 500;

/**
 * Typing states shared by every process through Redis, expiring on Redis's clock; `expired` claims each
 * lapsed state atomically, so exactly one process announces its end.
 */
export class RedisTypingState implements TypingState {
  private readonly expKey: string;
  private readonly byPrefix: string;

  constructor(
    private readonly client: RedisClient,
    options: { prefix: string },
  ) {
    this.expKey = `${options.prefix}typing:exp`;
    this.byPrefix = `${options.prefix}typing:by:`;
  }

  async start(typistId: string, conversationId: string, ttlMs: number): Promise<void> {
    const keys = [this.expKey, this.byPrefix + typistId];
    await startScript.run(this.client, keys, [`${typistId}|${conversationId}`, conversationId, ttlMs]);
  }

  async stop(typistId: string, conversationId: string): Promise<boolean> {
    const keys = [this.expKey, this.byPrefix + typistId];
    return (await stopScript.run(this.client, keys, [`${typistId}|${conversationId}`, conversationId])) === 1;
  }

  async stopAll(typistId: string): Promise<string[]> {
    const keys = [this.expKey, this.byPrefix + typistId];
    return (await stopAllScript.run(this.client, keys, [typistId])) as string[];
  }

  async expired(): Promise<TypingEntry[]> {
    const out: TypingEntry[] = [];
    for (;;) {
      const members = (await expiredScript.run(
        this.client,
        [this.expKey],
        [this.byPrefix, BATCH],
      )) as string[];
      for (const m of members) {
        const sep = m.indexOf('|');
        out.push({ typistId: m.slice(0, sep), conversationId: m.slice(sep + 1) });
      }
      if (members.length < BATCH) return out;
    }
  }

  async close(): Promise<void> {}
}
