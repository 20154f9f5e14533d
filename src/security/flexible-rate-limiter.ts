import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Rate, RateLimits } from '../config.js';
import { RateLimitedError } from '../domain/errors.js';
import type { LimitedAction, RateLimiter } from '../services/ports.js';
import type { RedisClient } from '../redis/redis-connection.js';

/** How each action is named in the error a client sees: `Too many <what>: try again in N s`. */
const WHAT: Record<LimitedAction, string> = {
  send: 'messages',
  typing: 'typing events',
  read: 'read receipts',
  loginAccount: 'failed login attempts',
  loginAccountAllIps: 'failed login attempts',
  loginIp: 'failed login attempts',
  registerIp: 'registrations',
  register: 'registrations',
  query: 'requests',
  groupCreate: 'groups created',
  membership: 'group changes',
  handshakeFailure: 'failed connection attempts',
  adminUi: 'admin UI login attempts',
  adminUiAll: 'admin UI login attempts',
};

/**
 * `RateLimiter` on rate-limiter-flexible: fixed windows in memory (one process), or in Redis when a
 * client is given, so every process shares one count. If Redis fails, each process falls back to its own
 * in-memory count (the insurance limiter) rather than refusing or letting everything through. An action
 * with several windows (`300/60s` and a `10/1s` burst) is counted in each, shortest first.
 *
 * @example const limits = new FlexibleRateLimiter(config.rateLimits, { redis, prefix: 'parley:' });
 *          await limits.consume('send', user.id); // throws RateLimitedError when over the limit
 */
export class FlexibleRateLimiter implements RateLimiter {
  private readonly limiters = new Map<LimitedAction, RateLimiterAbstract[]>();

  constructor(limits: Readonly<RateLimits>, options: { redis?: RedisClient; prefix?: string } = {}) {
    for (const [action, rates] of Object.entries(limits) as Array<
      [LimitedAction, readonly Rate[] | undefined]
    >) {
      if (!rates || rates.length === 0) continue;
      const windows = [...rates]
        .sort((a, b) => a.durationSeconds - b.durationSeconds)
        .map((rate) => {
          const base = { points: rate.points, duration: rate.durationSeconds };
          // The window is part of the key, so two windows of one action never share a count.
          const keyPrefix = `${action}:${rate.points}/${rate.durationSeconds}`;
          const memory = new RateLimiterMemory({ ...base, keyPrefix });
          return options.redis
            ? new RateLimiterRedis({
                ...base,
                storeClient: options.redis,
                useRedisPackage: true,
                rejectIfRedisNotReady: true,
                keyPrefix: `${options.prefix ?? ''}rl:${keyPrefix}`,
                insuranceLimiter: memory,
              })
            : memory;
        });
      this.limiters.set(action, windows);
    }
  }

  async consume(action: LimitedAction, key: string): Promise<void> {
    for (const limiter of this.limiters.get(action) ?? []) {
      try {
        await limiter.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw new RateLimitedError(WHAT[action], err.msBeforeNext);
        throw err;
      }
    }
  }

  async check(action: LimitedAction, key: string): Promise<void> {
    for (const limiter of this.limiters.get(action) ?? []) {
      const state = await limiter.get(key);
      if (state && state.consumedPoints >= limiter.points) {
        throw new RateLimitedError(WHAT[action], state.msBeforeNext);
      }
    }
  }

  async reward(action: LimitedAction, key: string): Promise<void> {
    await Promise.all(
      (this.limiters.get(action) ?? []).map(async (limiter) => {
        // Only into the window the point was taken from: once it has ended, a reward would start the
        // next one below zero (an extra attempt).
        const state = await limiter.get(key);
        if (state && state.consumedPoints > 0) await limiter.reward(key, 1);
      }),
    );
  }

  async reset(action: LimitedAction, key: string): Promise<void> {
    await Promise.all((this.limiters.get(action) ?? []).map((limiter) => limiter.delete(key)));
  }
}

/** For code that needs a `RateLimiter` but no limits (tests of other parts, library use). */
export const noRateLimits: RateLimiter = {
  consume: async () => undefined,
  check: async () => undefined,
  reward: async () => undefined,
  reset: async () => undefined,
};
