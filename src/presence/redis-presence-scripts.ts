import { LuaScript } from '../redis/redis-connection.js';

/**
 * The Lua scripts behind RedisPresence. Each runs atomically in Redis, on Redis's own clock (TIME), so
 * processes with skewed clocks agree on expiry.
 *
 * Keys: `<prefix>presence:users` — ZSET user id → latest expiry of any of their connections;
 *       `<prefix>presence:conns:<userId>` — ZSET connection id → expiry.
 * The reaper and refresh scripts build connection keys from the prefix, so they need a single Redis
 * node (not Redis Cluster).
 */

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS: conns, users. ARGV: userId, connectionId, ttlMs. Returns 1 when the user came online. */
export const connectScript = new LuaScript(`${NOW}
local exp = now + tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], exp, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], 'GT', exp, ARGV[1])
if before == 0 then return 1 end
return 0`);

/** KEYS: conns, users. ARGV: userId, connectionId. Returns 1 when that was the user's last connection. */
export const disconnectScript = new LuaScript(`${NOW}
if redis.call('ZREM', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`);

/** KEYS: users. ARGV: conns key prefix, ttlMs, then pairs of userId, connectionId. Re-adds if missing. */
export const refreshScript = new LuaScript(`${NOW}
local exp = now + tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  redis.call('ZADD', key, exp, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[2])
  redis.call('ZADD', KEYS[1], 'GT', exp, ARGV[i])
end
return 1`);

/** KEYS: users. ARGV: conns key prefix, batch size. Removes and returns users with no live connection. */
export const reapScript = new LuaScript(`${NOW}
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, u in ipairs(users) do
  local key = ARGV[1] .. u
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('ZREM', KEYS[1], u)
    table.insert(gone, u)
  else
    redis.call('ZADD', KEYS[1], top[2], u)
  end
end
return gone`);

/** KEYS: users. Returns the ids of users whose entry has not expired. */
export const onlineScript = new LuaScript(`${NOW}
return redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')`);

/** KEYS: users. ARGV: userId. Returns 1 when the user has a live entry. */
export const isOnlineScript = new LuaScript(`${NOW}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) >= now then return 1 end
return 0`);

/** KEYS: users. ARGV: user ids. Returns 1/0 per id: whether that user has a live entry. */
export const onlineAmongScript = new LuaScript(`${NOW}
local scores = redis.call('ZMSCORE', KEYS[1], unpack(ARGV))
local out = {}
for i, score in ipairs(scores) do
  if score and tonumber(score) >= now then out[i] = 1 else out[i] = 0 end
end
return out`);
